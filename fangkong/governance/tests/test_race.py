"""Two desks take the same step at once: the row lock lets exactly one through."""

from __future__ import annotations

import pytest

from devtools.races import at_once
from fangkong.governance.models import GovCase, Stage
from fangkong.governance.services.workflow import accept_case


@pytest.mark.django_db(transaction=True)
def test_two_desks_accepting_at_once_accept_once(report, commander):
    case = report()
    outcomes = at_once(*(lambda: accept_case(case=case, user=commander) for _ in range(2)))
    row = GovCase.objects.get(pk=case.pk)
    assert row.stage == Stage.ACCEPTED
    assert outcomes == ["done", "not_allowed"]
    assert row.events.filter(action="accept").count() == 1
