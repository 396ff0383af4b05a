"""Wiping what a drill (演练) wrote in tracing: its control orders."""

from __future__ import annotations

from ..models import ControlOrder


def wipe_drill_orders(*, order_ids: list[int]) -> int:
    """Orders follow one another (`previous`, protected): the latest go first."""
    orders = ControlOrder.objects.filter(pk__in=order_ids)
    deleted = 0
    while orders.exists():
        leaves = orders.exclude(pk__in=orders.filter(previous__isnull=False).values("previous"))
        deleted += ControlOrder.objects.filter(
            pk__in=list(leaves.values_list("pk", flat=True))
        ).delete()[0]
    return deleted
