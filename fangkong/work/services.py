"""Writes on tasks that are not one domain's: wiping the tasks a drill (演练) made."""

from __future__ import annotations

from django.db.models import Q

from .models import Task


def wipe_drill_tasks(*, task_ids: list[int], zone_ids: list[int], round_ids: list[int]) -> int:
    """The drill's own tasks and those the domains opened for its zones and rounds."""
    return Task.objects.filter(
        Q(pk__in=task_ids)
        | Q(detail__zone_id__in=zone_ids)
        | Q(detail__round_id__in=round_ids)
        | Q(detail__round__in=round_ids)  # door-knocking tasks name their round "round"
    ).delete()[0]


def delete_tasks(*, task_ids: list[int]) -> int:
    return Task.objects.filter(pk__in=task_ids).delete()[0]
