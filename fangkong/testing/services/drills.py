"""Wiping what a drill (演练) wrote in testing, in two steps around the lab's boxes.

A tube refers to its transport box and a box to its round, both protected: the command
centre's `wipe_drill` deletes the lab's results, then the samples and tubes (here), then the
lab's boxes, then the rounds (here), all in its one transaction.
"""

from __future__ import annotations

from django.db.models import Q

from ..models import RetestOrder, RoundMember, Sample, SamplingSite, Station, TestingRound, Tube


def wipe_drill_tubes(*, round_ids: list[int]) -> dict[str, int]:
    """The rounds' samples, members, retest orders and tubes."""
    tubes = Tube.objects.filter(round_id__in=round_ids)
    samples = Sample.objects.filter(round_id__in=round_ids).delete()[0]
    RoundMember.objects.filter(round_id__in=round_ids).delete()
    RetestOrder.objects.filter(Q(retest_round_id__in=round_ids) | Q(source_tube__in=tubes)).delete()
    return {"samples": samples, "tubes": tubes.delete()[0]}


def wipe_drill_rounds(*, round_ids: list[int]) -> int:
    """The rounds themselves, with their stations and sites (their tubes already gone)."""
    Station.objects.filter(round_id__in=round_ids).delete()
    SamplingSite.objects.filter(round_id__in=round_ids).delete()
    return TestingRound.objects.filter(pk__in=round_ids).delete()[0]
