"""The command centre hears tracing: a case opened (an incident if none is open there), an
investigation clock run out and a control order released, on the incident's timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.command.models import Incident, IncidentKind, TimelineEntry
from fangkong.core.events import deliver_pending
from fangkong.tracing.services.cases import escalate_overdue_clocks, open_case_for_resident
from fangkong.tracing.services.orders import isolate_household, release_order

from .conftest import C11


@pytest.fixture
def zhang(residents):
    return next(r for r in residents if r.name == "张伟")


def _kinds(incident: Incident) -> list[str]:
    return list(incident.timeline.order_by("at", "id").values_list("kind", flat=True))


def test_a_case_opens_an_incident_where_none_is_open(commander, zhang):
    case = open_case_for_resident(
        user=commander, resident=zhang, kind="confirmed", onset_date=timezone.localdate()
    )
    deliver_pending()
    incident = Incident.objects.get()
    assert (incident.kind, incident.area_code) == (IncidentKind.CASE, C11)
    assert _kinds(incident) == ["case_opened"]
    assert case.document_masked in incident.timeline.get().text
    assert zhang.name not in incident.title  # masked: the document, not the name


def test_a_second_case_joins_the_open_incident_and_overdue_clocks_follow(
    commander, residents, zhang
):
    opened = timezone.now() - dt.timedelta(hours=30)
    for person in (zhang, next(r for r in residents if r.name == "王芳")):
        open_case_for_resident(
            user=commander,
            resident=person,
            kind="asymptomatic",
            sampling_date=timezone.localdate(),
            opened_at=opened,
        )
    assert escalate_overdue_clocks() == 4  # two cases, each its report and investigation
    deliver_pending()
    incident = Incident.objects.get()
    assert sorted(_kinds(incident)) == ["case_clock_overdue"] * 4 + ["case_opened"] * 2
    escalate_overdue_clocks()  # again: nothing new on the timeline
    deliver_pending()
    assert TimelineEntry.objects.count() == 6


def test_a_released_order_is_on_the_timeline(commander, zhang):
    open_case_for_resident(
        user=commander, resident=zhang, kind="confirmed", onset_date=timezone.localdate()
    )
    start = timezone.localdate() - dt.timedelta(days=7)
    orders = isolate_household(
        user=commander, resident=zhang, kind="home_quarantine", start=start, days=7, reason="密接"
    )
    release_order(user=commander, order=orders[-1], today=timezone.localdate())
    deliver_pending()
    incident = Incident.objects.get()
    assert _kinds(incident) == ["case_opened", "order_released"]
    assert orders[-1].document_masked in incident.timeline.last().text
