"""Door-knocking as coverage sees it: households with someone not yet tested, what the grid
workers found there, and how many are still unexplained. "Full coverage" (全覆盖) is said only
when no household is left unexplained and no one untested lacks an address.

Counted in two grouped queries, whatever the number of households.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from fangkong.core.areas import within_q
from fangkong.work.models import Task

from ..models_doorknock import EXPLAINING_OUTCOMES, DoorKnockOutcome, KnockOutcome
from .coverage import DOORKNOCK_KIND, untested_residents
from .scope import require_view


@dataclass
class Households:
    """Households with people not yet tested in a round, by what door-knocking found."""

    untested: int = 0  # households with at least one person in scope not yet tested
    explained: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    without_address: int = 0  # people not yet tested with no household on record

    @property
    def unexplained(self) -> int:
        return max(self.untested - self.explained, 0)

    @property
    def full_coverage(self) -> bool:
        """True when every household is tested or accounted for: the only time a round may be
        reported as 全覆盖."""
        return self.unexplained == 0 and self.without_address == 0

    def outcome_rows(self) -> list[tuple[str, str, int]]:
        """(outcome, its label, households) in the order of the outcome list, zeros left out."""
        return [
            (o.value, str(o.label), self.by_outcome[o.value])
            for o in KnockOutcome
            if self.by_outcome.get(o.value)
        ]


def household_coverage(*, user, round, area_code: str | None = None) -> Households:
    """Households in the part of `round` under `area_code` the user sees, with someone not
    yet tested, and the door-knocking outcomes recorded for them."""
    require_view(user)
    untested = untested_residents(user=user, round=round, area_code=area_code).order_by()
    counts = untested.aggregate(
        homes=Count("household_id", distinct=True),
        without_address=Count("id", filter=Q(household__isnull=True)),
    )
    out = Households(untested=counts["homes"], without_address=counts["without_address"])
    homes = untested.filter(household__isnull=False).values("household_id")
    rows = (
        DoorKnockOutcome.objects.filter(round=round, household_id__in=homes)
        .values_list("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    out.by_outcome = dict(rows)
    out.explained = sum(n for o, n in out.by_outcome.items() if o in EXPLAINING_OUTCOMES)
    return out


def household_outcomes(*, round, household_ids) -> dict[int, DoorKnockOutcome]:
    """The outcome recorded for each of these households in the round (the caller has read
    the households through a scoped selector)."""
    return {
        o.household_id: o
        for o in DoorKnockOutcome.objects.filter(round=round, household_id__in=household_ids)
    }


def my_doorknock_tasks(*, user, round) -> QuerySet[Task]:
    """A grid worker's household tasks of the round: those assigned to them, or open in
    their own area for anyone; open ones first, the soonest due first."""
    require_view(user)
    prefix = user.scope_code
    return (
        Task.objects.filter(kind=DOORKNOCK_KIND, key__startswith=f"doorknock:{round.pk}:")
        .filter(within_q(prefix))
        .filter(Q(assignee=user) | Q(assignee__isnull=True))
        .select_related("assignee")
        .order_by("state", "due_at", "key")
    )
