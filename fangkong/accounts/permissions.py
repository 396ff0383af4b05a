"""The permission matrix: which role may do which action, always inside its scope.

docs/permissions.md is generated from this table (`fangkong permissions --markdown`) and a
test checks the two agree, so the document cannot drift from the code.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from fangkong.core.areas import is_within

from .models import Role

ACTIONS: dict[str, object] = {
    "view_areas": _("Browse the area tree"),
    "view_residents": _("List and open residents (masked)"),
    "unmask_personal_data": _("Unmask ID and phone numbers (audited)"),
    "edit_residents": _("Add and edit residents"),
    "import_residents": _("Import residents from Excel"),
    "export_residents": _("Export residents to Excel (masked, audited)"),
    "view_audit_log": _("Read the audit log"),
    "manage_devices": _("Create and revoke device tokens"),
    "register_samples": _("Register samples at a station"),
    "record_results": _("Post lab results"),
    "review_results": _(
        "Record the review of a borderline result: keep negative, single-tube retest or "
        "treat as positive"
    ),
    "manage_rounds": _("Plan testing rounds, sites and stations; generate door-knocking tasks"),
    "view_incidents": _("See the command dashboard, incidents, timelines and bulletins"),
    "manage_incidents": _("Open, lead and close incidents; publish bulletins and notifications"),
    "view_zones": _("See risk zones, their schedules, checklists and notices"),
    "manage_zones": _(
        "Designate, downgrade and lift risk zones; issue notices; set up checkpoints"
    ),
    "issue_passes": _("Issue and revoke checkpoint passes"),
    "guard_checkpoint": _("Check passes and documents at a checkpoint; keep its duty log"),
    "view_cases": _("See governance cases, their clocks and the units' rates"),
    "report_cases": _("Report a matter as a governance case (grid, hotline, Open311)"),
    "handle_cases": _(
        "Take governance cases through their stages; pause, extend, reopen and pass them on"
    ),
    "view_tracing": _("See venues, scans (masked), exposures and control orders"),
    "manage_tracing": _("Register venues, judge exposures and issue control orders"),
    "import_scans": _("Import venue-code scans (files and device batches)"),
    "record_follow_up": _("Record the daily follow-up of people under control orders"),
    "verify_pushed_lists": _("Verify rows of pushed lists (协查) and close them"),
    "view_requests": _("See residents' requests, their clocks and the care lists"),
    "raise_requests": _("Raise a request for a resident (grid, hotline)"),
    "handle_requests": _("Acknowledge, fulfil and cancel requests; keep care profiles"),
    "manage_volunteers": _("Review volunteers, plan shifts and duty rotas, assign and check in"),
}

R = Role
_AREA_STAFF = frozenset(
    {
        "manage_volunteers",
        "view_requests",
        "raise_requests",
        "handle_requests",
        "manage_rounds",
        "view_cases",
        "report_cases",
        "handle_cases",
        "view_incidents",
        "view_areas",
        "view_residents",
        "unmask_personal_data",
        "edit_residents",
        "import_residents",
        "export_residents",
        "view_zones",
        "issue_passes",
        "view_tracing",
        "manage_tracing",
        "record_follow_up",
        "verify_pushed_lists",
    }
)

MATRIX: dict[str, frozenset[str]] = {
    R.DISTRICT_COMMANDER: frozenset(
        {
            "review_results",
            "manage_volunteers",
            "view_requests",
            "raise_requests",
            "handle_requests",
            "manage_rounds",
            "view_cases",
            "report_cases",
            "handle_cases",
            "view_incidents",
            "manage_incidents",
            "view_areas",
            "view_residents",
            "unmask_personal_data",
            "edit_residents",
            "import_residents",
            "export_residents",
            "view_audit_log",
            "manage_devices",
            "view_zones",
            "manage_zones",
            "issue_passes",
            "view_tracing",
            "manage_tracing",
            "import_scans",
            "record_follow_up",
            "verify_pushed_lists",
        }
    ),
    # Sub-district and community staff do the same work, each in their own area.
    R.SUBDISTRICT_STAFF: _AREA_STAFF,
    R.COMMUNITY_STAFF: _AREA_STAFF,
    R.GRID_WORKER: frozenset(
        {
            "view_requests",
            "raise_requests",
            "handle_requests",
            "view_areas",
            "view_residents",
            "edit_residents",
            "view_zones",
            "view_cases",
            "report_cases",
            "view_tracing",
            "record_follow_up",
            "verify_pushed_lists",
        }
    ),
    R.SAMPLER: frozenset({"view_areas", "register_samples"}),
    R.LAB_TECHNICIAN: frozenset({"view_areas", "record_results"}),
    R.CHECKPOINT_GUARD: frozenset({"view_areas", "guard_checkpoint"}),
    R.VOLUNTEER_COORDINATOR: frozenset(
        {"view_areas", "view_residents", "view_zones", "view_requests", "manage_volunteers"}
    ),
    R.AUDITOR: frozenset(
        {"view_areas", "view_audit_log", "view_zones", "view_incidents", "view_cases"}
    ),
    R.REPORTER: frozenset({"report_cases"}),
    # The district CDC (疾控中心) reviews borderline results and leads the tracing of cases.
    R.CDC: frozenset(
        {
            "view_areas",
            "view_residents",
            "view_incidents",
            "view_zones",
            "view_tracing",
            "review_results",
        }
    ),
}


def role_allows(role: str, action: str) -> bool:
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    return action in MATRIX.get(role, frozenset())


def can(actor, action: str, area_code: str | None = None) -> bool:
    """True when `actor` (a user or device token) may do `action` on a record at `area_code`.

    Scope is one node: a record is in scope when its area code lies at or below it. Records
    above the actor's node (e.g. the district, for a grid worker) are out of scope.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if not getattr(actor, "is_active", True) or getattr(actor, "revoked_at", None):
        return False
    if not role_allows(actor.role, action):
        return False
    return area_code is None or is_within(area_code, actor.scope_code)


def markdown_matrix() -> str:
    """docs/permissions.md, generated from MATRIX."""

    roles = list(Role)
    with translation.override("en"):
        lines = [
            "# Permission matrix",
            "",
            "Generated from `fangkong/accounts/permissions.py` by `fangkong permissions --markdown`;",
            "a test fails when this file and the code disagree.",
            "",
            "Every action is also limited by scope: a user works in one area node (district,",
            "sub-district, community or grid) and sees and changes only records at or below it.",
            "Anything refused is answered 403 and written to the audit log once, on pages and",
            "in the API alike: that includes a record outside the user's area asked for by its",
            "number. A number that names no record at all is answered 404.",
            "",
            "| action | " + " | ".join(f"`{r.value}`" for r in roles) + " |",
            "|---|" + "---|" * len(roles),
        ]
        for action, label in ACTIONS.items():
            cells = ["✓" if action in MATRIX[r] else "" for r in roles]
            lines.append(f"| `{action}` — {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
