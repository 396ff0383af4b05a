"""Wiping what a drill (演练) wrote in zones: the zones with their passes, notices and history.

Passages keep their log (unlinked from the pass). The command centre's `wipe_drill` calls this
inside its own transaction, after the care that refers to the zones.
"""

from __future__ import annotations

from ..models import Notice, Pass, RiskZone, ZoneChange, ZoneMember, ZoneRound


def drill_zone_rounds(*, zone_ids: list[int]) -> list[int]:
    """The testing rounds the zones ran (to be wiped with the drill's own rounds)."""
    return list(ZoneRound.objects.filter(zone_id__in=zone_ids).values_list("round_id", flat=True))


def wipe_drill_zones(*, zone_ids: list[int]) -> dict[str, int]:
    counts = {"passes": Pass.objects.filter(zone_id__in=zone_ids).delete()[0]}
    notices = list(
        Notice.objects.filter(zones__in=zone_ids).distinct().values_list("pk", flat=True)
    )
    counts["notices"] = Notice.objects.filter(pk__in=notices).delete()[0]
    ZoneRound.objects.filter(zone_id__in=zone_ids).delete()
    ZoneChange.objects.filter(zone_id__in=zone_ids).delete()
    ZoneMember.objects.filter(zone_id__in=zone_ids).delete()
    counts["zones"] = RiskZone.objects.filter(pk__in=zone_ids).delete()[0]
    return counts
