"""The rules of a protocol as pure functions of a zone rule (a dict from a preset) and facts.

Kept free of the database so the rule tables are tested straight from the preset files:
the schedule of a zone kind, its lifting checklist, and the checkpoint's allow/deny table.

Day numbers count inclusively: day 1 is the day of designation (or of the last infection
found inside), so "day 7" of the 9th edition is designation day + 6, and a zone with
`days_without_infection: 7` qualifies on day 7.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import ZoneKind

STRICTNESS = {"sealed": 3, "controlled": 2, "precaution": 1}
# The testing app's pool groups, by regime (a standstill counts as sealed).
POOL_GROUP = {"sealed": "sealed", "controlled": "controlled", "precaution": "general"}
ROUND_HOURS = 24  # a later round finishes within a day, like any designated area


def kind_label(kind: str) -> str:
    """A zone kind as staff call it (封控区, 高风险区), in the current language."""

    return str(ZoneKind(kind).label) if kind in ZoneKind.values else kind


def day_number(reference: dt.date, day: dt.date) -> int:
    return (day - reference).days + 1


def round_times(
    rule: dict, designated_at: dt.datetime
) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(day, starts_at, due_at) of each scheduled round: day 1 starts at designation and is due
    within the protocol's first-round deadline; later days start at the same time of day."""
    out = []
    for i, day in enumerate(rule["test_days"]):
        starts = designated_at + dt.timedelta(days=day - 1)
        if i == 0 and rule.get("first_round_within_hours"):
            due = designated_at + dt.timedelta(hours=rule["first_round_within_hours"])
        else:
            due = starts + dt.timedelta(hours=ROUND_HOURS)
        out.append((day, starts, due))
    return out


def stricter(a: str | None, b: str | None) -> str | None:
    """The stricter of two regimes (None means no zone)."""
    if a is None:
        return b
    if b is None:
        return a
    return a if STRICTNESS[a] >= STRICTNESS[b] else b


# ---------------------------------------------------------------------------------------------
# Lifting and downgrade


@dataclass(frozen=True)
class Check:
    code: str
    label: str
    ok: bool | None  # None: cannot be checked here, the commander confirms it
    needed: str = ""
    actual: str = ""


@dataclass(frozen=True)
class Facts:
    """What is known about a zone on the day of the evaluation."""

    clean_day: int  # day number of today, counted from the last infection (or designation)
    final_round_day: int | None = None  # the latest round sampled, same numbering
    final_round_complete: bool = False  # everyone inside has a sample in it
    final_round_negative: bool = False  # every sample in it resulted negative
    via_downgrade: bool = False
    blocking_zones: int = 0  # active zones of kinds that must be lifted first


def lifting_checks(rule: dict, facts: Facts) -> list[Check]:
    """The checklist of the zone's protocol, each item held or not."""
    lift = rule["lift"]
    checks: list[Check] = []
    if rule["kind"] == "standstill":
        return [
            Check(
                "round_complete",
                str(_("Everyone inside sampled in the targeted round")),
                facts.final_round_complete,
            ),
            Check(
                "round_negative",
                str(_("Every result of the targeted round negative")),
                facts.final_round_negative,
            ),
        ]
    days = lift.get("days_without_infection")
    final_before = lift.get("final_round_days_before_lift")
    if facts.via_downgrade and lift.get("after_downgrade_days_without_infection"):
        days, final_before = lift["after_downgrade_days_without_infection"], None
    if days is not None:
        checks.append(
            Check(
                "days_without_infection",
                str(_("%(days)d days without a new infection inside") % {"days": days}),
                facts.clean_day >= days,
                needed=str(days),
                actual=str(max(facts.clean_day, 0)),
            )
        )
    if final_before is not None and days is not None:
        checks += _final_round_checks(
            facts, earliest=days - final_before, final_before=final_before
        )
    if lift.get("contacts_past_exposure_days"):
        checks.append(
            Check(
                "contacts_released",
                str(
                    _(
                        "The last close contact from the zone is more than %(days)d days past "
                        "exposure and tested negative (confirm by hand until tracing is on)"
                    )
                    % {"days": lift["contacts_past_exposure_days"]}
                ),
                None,
            )
        )
    if lift.get("requires_lifted"):
        checks.append(
            Check(
                "stricter_zones_lifted",
                str(
                    _("Every zone of these kinds in the district lifted: %(kinds)s")
                    % {"kinds": " / ".join(kind_label(k) for k in lift["requires_lifted"])}
                ),
                facts.blocking_zones == 0,
                needed="0",
                actual=str(facts.blocking_zones),
            )
        )
    return checks


def _final_round_checks(facts: Facts, *, earliest: int, final_before: int) -> list[Check]:
    """The final full round: late enough, everyone sampled, every result negative."""
    in_window = facts.final_round_day is not None and facts.final_round_day >= earliest
    return [
        Check(
            "final_round_day",
            str(
                _("A full round on day %(day)d or later (%(n)d days before the lift at most)")
                % {"day": earliest, "n": final_before}
            ),
            in_window,
            needed=str(earliest),
            actual="" if facts.final_round_day is None else str(facts.final_round_day),
        ),
        Check(
            "final_round_complete",
            str(_("Everyone inside sampled in that round")),
            in_window and facts.final_round_complete,
        ),
        Check(
            "final_round_negative",
            str(_("Every result of that round negative")),
            in_window and facts.final_round_negative,
        ),
    ]


def proposal(rule: dict, checks: list[Check]) -> str | None:
    """ "lift" or "downgrade" when every checkable item holds, else None."""
    if not checks or any(c.ok is False for c in checks):
        return None
    return "downgrade" if rule.get("downgrade_to") else "lift"


# ---------------------------------------------------------------------------------------------
# Checkpoints: allow or deny, and the rule that decided

EXIT_PURPOSES = frozenset({"medical", "emergency"})

RULES = {
    "sealed_no_exit": _("Sealed zone: no one leaves without a medical or emergency pass."),
    "sealed_exit_with_pass": _("Sealed zone: exit with a valid medical or emergency pass."),
    "controlled_no_exit": _("Controlled zone: no one leaves the zone."),
    "controlled_exit_with_pass": _("Controlled zone: exit only with a medical or emergency pass."),
    "precaution_open": _("Precaution zone: passage allowed; no gatherings."),
    "outside_zones": _("Lives outside every active zone: passage allowed."),
    "pass_holder": _("A valid pass for this zone: passage allowed."),
    "resident_returns": _("A resident of this zone returning home."),
    "sealed_no_entry": _("Sealed zone: entry only for its residents and pass holders."),
    "controlled_no_entry": _("Controlled zone: entry only for its residents and pass holders."),
    "pass_revoked": _("The pass has been revoked."),
    "pass_expired": _("The pass has expired."),
    "pass_not_yet_valid": _("The pass is not valid yet."),
    "pass_other_zone": _("The pass is for another zone."),
    "pass_forged": _("The pass is forged or damaged."),
    "unknown_code": _("Neither a pass nor a valid document number: check by hand."),
    "zone_lifted": _("This checkpoint's zone is no longer active: passage allowed."),
}


def rule_text(code: str) -> str:
    return str(RULES.get(code, code))


def decide(
    *,
    direction: str,
    person_regime: str | None,
    checkpoint_regime: str,
    lives_in_zone: bool,
    pass_purpose: str | None = None,
) -> tuple[str, str]:
    """(allow | deny, rule code) for one passage.

    Going out, the strictest zone the person lives in decides (a resident of a sealed building
    inside a controlled compound is sealed). Coming in, the checkpoint's zone decides, and its
    own residents may always go home.
    """
    if direction == "out":
        if person_regime == "sealed":
            if pass_purpose in EXIT_PURPOSES:
                return "allow", "sealed_exit_with_pass"
            return "deny", "sealed_no_exit"
        if person_regime == "controlled":
            if pass_purpose in EXIT_PURPOSES:
                return "allow", "controlled_exit_with_pass"
            return "deny", "controlled_no_exit"
        if person_regime == "precaution":
            return "allow", "precaution_open"
        if pass_purpose is not None:
            return "allow", "pass_holder"
        return "allow", "outside_zones"
    if checkpoint_regime == "precaution":
        return "allow", "precaution_open"
    if lives_in_zone:
        return "allow", "resident_returns"
    if pass_purpose is not None:
        return "allow", "pass_holder"
    return "deny", f"{checkpoint_regime}_no_entry"
