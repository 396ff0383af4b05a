"""Single-tube retest orders counted by state: what the dashboard and the bulletins print."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from fangkong.core.areas import within_q

from ..models import RetestOrder, RetestState

OPEN_STATES = (RetestState.PENDING, RetestState.SAMPLED)


def _within(area_code: str) -> Q:
    return within_q(area_code)


def open_retests(*, area_code: str) -> QuerySet[RetestOrder]:
    """Retest orders at or below `area_code` still to be re-sampled or awaiting a result."""
    return RetestOrder.objects.filter(_within(area_code), state__in=OPEN_STATES)


def retest_counts(
    *,
    area_code: str | None = None,
    source_tube_ids: list[int] | None = None,
    created_before: dt.datetime | None = None,
    new_since: dt.datetime | None = None,
) -> dict[str, int]:
    """Retest orders at or below `area_code` (or of the pools `source_tube_ids`), made before
    `created_before`: how many in each state, "total", and with `new_since` "new" (those made
    since). One query."""
    orders = RetestOrder.objects.all()
    if area_code is not None:
        orders = orders.filter(_within(area_code))
    if source_tube_ids is not None:
        orders = orders.filter(source_tube_id__in=source_tube_ids)
    if created_before is not None:
        orders = orders.filter(created_at__lt=created_before)
    figures = {
        "total": Count("id"),
        **{state: Count("id", filter=Q(state=state)) for state in RetestState.values},
    }
    if new_since is not None:
        figures["new"] = Count("id", filter=Q(created_at__gte=new_since))
    return orders.aggregate(**figures)
