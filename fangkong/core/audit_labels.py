"""What the audit log calls the kinds of record its entries touch (never the raw code)."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

# Every object_type the code writes (a test scans the code for them).
OBJECT_TYPE_LABELS = {
    "area": pgettext_lazy("audit record", "Area"),
    "audit_log": pgettext_lazy("audit record", "Audit log"),
    "box": pgettext_lazy("audit record", "Transport box"),
    "bulletin": pgettext_lazy("audit record", "Bulletin"),
    "case": pgettext_lazy("audit record", "Epidemic case"),
    "cases": pgettext_lazy("audit record", "Epidemic cases"),
    "checkpoint": pgettext_lazy("audit record", "Checkpoint"),
    "checkpoints": pgettext_lazy("audit record", "Checkpoints"),
    "contact": pgettext_lazy("audit record", "Contact"),
    "contacts": pgettext_lazy("audit record", "Contacts"),
    "control_order": pgettext_lazy("audit record", "Control order"),
    "control_orders": pgettext_lazy("audit record", "Control orders"),
    "device_token": pgettext_lazy("audit record", "Device token"),
    "exposure": pgettext_lazy("audit record", "Exposure"),
    "exposure_decisions": pgettext_lazy("audit record", "Exposure decisions"),
    "exposures": pgettext_lazy("audit record", "Exposures"),
    "geojson": pgettext_lazy("audit record", "Map shapes"),
    "gov_case": pgettext_lazy("audit record", "Case"),
    "grid": pgettext_lazy("audit record", "Grid"),
    "household": pgettext_lazy("audit record", "Household"),
    "incident": pgettext_lazy("audit record", "Incident"),
    "lab": pgettext_lazy("audit record", "Laboratory"),
    "lab_result": pgettext_lazy("audit record", "Lab result"),
    "meeting": pgettext_lazy("audit record", "Joint meeting"),
    "notice": pgettext_lazy("audit record", "Notice"),
    "notices": pgettext_lazy("audit record", "Notices"),
    "pass": pgettext_lazy("audit record", "Pass"),
    "patrol": pgettext_lazy("audit record", "Patrol"),
    "petition": pgettext_lazy("audit record", "Petition"),
    "pooling": pgettext_lazy("audit record", "Pooling advice"),
    "project": pgettext_lazy("audit record", "Project"),
    "pushed_list": pgettext_lazy("audit record", "Pushed list"),
    "pushed_lists": pgettext_lazy("audit record", "Pushed lists"),
    "pushed_row": pgettext_lazy("audit record", "Pushed-list row"),
    "resident": pgettext_lazy("audit record", "Resident"),
    "residents": pgettext_lazy("audit record", "Residents"),
    "risk_zone": pgettext_lazy("audit record", "Risk zone"),
    "risk_zones": pgettext_lazy("audit record", "Risk zones"),
    "rivers": pgettext_lazy("audit record", "Rivers"),
    "round": pgettext_lazy("audit record", "Testing round"),
    "sampling_code_card": pgettext_lazy("audit record", "Sampling code card"),
    "sampling_code_cards": pgettext_lazy("audit record", "Sampling code cards"),
    "scenario": pgettext_lazy("audit record", "Scenario"),
    "site": pgettext_lazy("audit record", "Quarantine site"),
    "sites": pgettext_lazy("audit record", "Quarantine sites"),
    "station": pgettext_lazy("audit record", "Sampling station"),
    "task": pgettext_lazy("audit record", "Task"),
    "testing_round": pgettext_lazy("audit record", "Testing round"),
    "tube": pgettext_lazy("audit record", "Tube"),
    "venue": pgettext_lazy("audit record", "Venue"),
    "venue_scans": pgettext_lazy("audit record", "Venue scans"),
    "venues": pgettext_lazy("audit record", "Venues"),
    "wages": pgettext_lazy("audit record", "Wage arrears"),
    "zone_map": pgettext_lazy("audit record", "Zone map"),
    "zone_member": pgettext_lazy("audit record", "Zone member"),
    "counselling_notes": pgettext_lazy("audit record", "Counselling notes"),
    "delivery_run": pgettext_lazy("audit record", "Delivery run"),
    "import_conflict": pgettext_lazy("audit record", "Import conflict"),
    "medical_trip": pgettext_lazy("audit record", "Medical trip"),
    "pushed_rows": pgettext_lazy("audit record", "Pushed-list rows"),
    "service_request": pgettext_lazy("audit record", "Resident request"),
    "supplies": pgettext_lazy("audit record", "Supplies"),
    "volunteers": pgettext_lazy("audit record", "Volunteers"),
    "roll_call": pgettext_lazy("audit record", "Roll call"),
    "institution_roster": pgettext_lazy("audit record", "Institution roster"),
}

OTHER = pgettext_lazy("audit record", "Other record")


def object_type_label(code: str) -> str:
    """The kind of record in words; an unknown code is named as another record, not shown."""
    if not code:
        return ""
    return str(OBJECT_TYPE_LABELS.get(code, OTHER))
