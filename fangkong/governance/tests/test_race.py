"""Two desks take the same step at once: the row lock lets exactly one through."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection

from fangkong.core.errors import RuleViolation
from fangkong.governance.models import GovCase, Stage
from fangkong.governance.services.workflow import accept_case


@pytest.mark.django_db(transaction=True)
def test_two_desks_accepting_at_once_accept_once(report, commander):
    case = report()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def run(step):
        try:
            barrier.wait(timeout=10)
            for _ in range(200):
                try:
                    step()
                    outcomes.append("done")
                    return
                except OperationalError as exc:
                    # SQLite's shared-cache test database answers "locked" instead of
                    # queueing a second writer: wait and go again.
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except RuleViolation as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(lambda: accept_case(case=case, user=commander),))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    row = GovCase.objects.get(pk=case.pk)
    assert row.stage == Stage.ACCEPTED
    assert sorted(outcomes) == ["done", "not_allowed"]
    assert row.events.filter(action="accept").count() == 1
