"""Wiping what a drill (演练) wrote in the lab: results before the tubes, boxes after them.

See testing's `services.drills` for the order the command centre's `wipe_drill` keeps.
"""

from __future__ import annotations

from ..models import LabResult, TransportBox


def wipe_drill_results(*, round_ids: list[int]) -> int:
    return LabResult.objects.filter(tube__round_id__in=round_ids).delete()[0]


def wipe_drill_boxes(*, round_ids: list[int]) -> int:
    """The rounds' boxes and their custody log (the tubes in them already gone)."""
    return TransportBox.objects.filter(round_id__in=round_ids).delete()[0]
