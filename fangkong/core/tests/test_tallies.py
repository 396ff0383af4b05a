"""The boards' open and overdue counts, on the database under test."""

import datetime as dt

import pytest
from django.db.models import Q
from django.utils import timezone

from fangkong.core.tallies import Tally, tally_open_overdue
from fangkong.work.models import Task


@pytest.mark.django_db
def test_counts_open_and_overdue_per_key_most_overdue_first(django_assert_num_queries):
    now = timezone.now()
    late, later = now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)
    rows = [("a-1", later)] * 3 + [("b-2", late), ("c-3", late), ("c-3", None), ("d-4", later)]
    for i, (area, due) in enumerate(rows):
        Task.objects.create(key=f"t{i}", kind="other", title="t", area_code=area, due_at=due)
    Task.objects.create(key="done", kind="other", title="t", area_code="b-2", state="done")
    live = Task.objects.filter(state="open").order_by("-due_at")  # a page's order is dropped
    with django_assert_num_queries(1):
        tallies = tally_open_overdue(live, by="area_code", overdue=Q(due_at__lt=now))
    assert tallies == [
        Tally("c-3", 2, 1),
        Tally("b-2", 1, 1),
        Tally("a-1", 3, 0),
        Tally("d-4", 1, 0),
    ]
