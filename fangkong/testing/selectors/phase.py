"""Where a round stands: scheduled, sampling, sampling closed, complete or cancelled.

The stored status says what people decided (closed by hand, cancelled); the phase adds what
the clock and the lab say: a round whose start is still ahead is scheduled, not sampling; its
sampling closes at the end of its window even before anyone presses the button; a closed round
whose every used tube has its result is complete. Every page and count reads it here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import models
from django.db.models import Count, Q
from django.utils.translation import pgettext_lazy

from ..models import RoundStatus, TestingRound, Tube, TubeState


class RoundPhase(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("round phase", "Scheduled")
    SAMPLING = "sampling", pgettext_lazy("round phase", "Sampling")
    CLOSED = "closed", pgettext_lazy("round phase", "Sampling closed")
    COMPLETE = "complete", pgettext_lazy("round phase", "Complete")
    CANCELLED = "cancelled", pgettext_lazy("round phase", "Cancelled")


def window_over(round: TestingRound, now: dt.datetime) -> bool:
    """Whether the round's sampling window has ended (its `due_at`)."""
    return round.due_at is not None and now >= round.due_at


def sampling_q(now: dt.datetime) -> Q:
    """Rounds taking samples at `now`: started, not closed, window not over."""
    return Q(status=RoundStatus.ACTIVE, starts_at__lte=now) & (
        Q(due_at__isnull=True) | Q(due_at__gt=now)
    )


def _phase(round: TestingRound, now: dt.datetime, pending: int, resulted: int) -> RoundPhase:
    if round.status == RoundStatus.CANCELLED:
        return RoundPhase.CANCELLED
    if round.status in (RoundStatus.PLANNED, RoundStatus.ACTIVE) and round.starts_at > now:
        return RoundPhase.SCHEDULED
    if round.status == RoundStatus.PLANNED:
        return RoundPhase.SCHEDULED
    if round.status == RoundStatus.ACTIVE and not window_over(round, now):
        return RoundPhase.SAMPLING
    return RoundPhase.COMPLETE if resulted and not pending else RoundPhase.CLOSED


def round_phases(*, rounds: Sequence[TestingRound], now: dt.datetime) -> dict[int, RoundPhase]:
    """Each round's phase, by pk; one grouped query over the tubes of the ended ones.

    A used tube is pending until it has its result: a people tube with a sample in it, an
    environmental tube once collected (unused tubes never make a round wait)."""
    ended = [r.pk for r in rounds if _phase(r, now, 1, 0) == RoundPhase.CLOSED]
    counts: dict[int, tuple[int, int]] = {}
    if ended:
        used = ~Q(state=TubeState.OPEN) | Q(sample_count__gt=0)
        for pk, pending, resulted in (
            Tube.objects.filter(used, round_id__in=ended)
            .values_list("round_id")
            .annotate(
                pending=Count("id", filter=~Q(state=TubeState.RESULTED)),
                resulted=Count("id", filter=Q(state=TubeState.RESULTED)),
            )
            .order_by()
        ):
            counts[pk] = (pending, resulted)
    return {r.pk: _phase(r, now, *counts.get(r.pk, (0, 0))) for r in rounds}


def round_phase(*, round: TestingRound, now: dt.datetime) -> RoundPhase:
    return round_phases(rounds=[round], now=now)[round.pk]
