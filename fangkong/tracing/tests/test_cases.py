"""Cases: clocks from the protocol, overdue clocks as tasks and events (once), itineraries."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from fangkong.core.errors import RuleViolation
from fangkong.core.models import OutboxEvent
from fangkong.tracing.models_cases import Case, CaseState
from fangkong.tracing.services.cases import (
    add_stop,
    complete_investigation,
    escalate_overdue_clocks,
    mark_reported,
    open_case,
)
from fangkong.work.models import Task, TaskState
from fangkong.zones.protocol_tracing import tracing_rules
from fangkong.zones.protocols import get_preset

from .conftest import G111

T0 = dt.datetime(2022, 6, 13, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def case(commander, residents, resident_documents):
    return open_case(
        user=commander,
        document_number=resident_documents["张伟"],
        kind="asymptomatic",
        source="retest",
        sampling_date=T0.date(),
        team="流调一组",
        opened_at=T0,
    )


def test_a_case_takes_the_person_and_the_clocks_of_the_protocol(case):
    clocks = tracing_rules(get_preset().data)["clocks"]
    assert case.report_due_at == T0 + dt.timedelta(hours=clocks["report_within_hours"])
    assert case.investigation_due_at == T0 + dt.timedelta(
        hours=clocks["investigation_within_hours"]
    )
    assert (case.person_name, case.area_code) == ("张伟", G111)
    assert OutboxEvent.objects.filter(kind="tracing.case_opened").count() == 1


def test_a_person_has_one_open_case_whatever_the_spelling(case, commander, resident_documents):
    with pytest.raises(RuleViolation) as exc:
        open_case(
            user=commander,
            document_number=resident_documents["张伟"].lower() + " ",
            kind="confirmed",
            onset_date=T0.date(),
        )
    assert exc.value.code == "open_case"


def test_a_case_needs_an_onset_or_sampling_date(commander, resident_documents, residents):
    with pytest.raises(RuleViolation) as exc:
        open_case(user=commander, document_number=resident_documents["王芳"], kind="confirmed")
    assert exc.value.field == "onset_date"


def test_overdue_clocks_become_tasks_and_events_once(case, commander):
    assert escalate_overdue_clocks(now=T0 + dt.timedelta(hours=1)) == 0
    assert escalate_overdue_clocks(now=T0 + dt.timedelta(hours=3)) == 1
    assert escalate_overdue_clocks(now=T0 + dt.timedelta(hours=25)) == 1
    assert escalate_overdue_clocks(now=T0 + dt.timedelta(hours=26)) == 0
    tasks = Task.objects.filter(kind="case_clock")
    assert sorted(t.detail["clock"] for t in tasks) == ["investigation", "report"]
    assert {t.area_code for t in tasks} == {G111}
    assert OutboxEvent.objects.filter(kind="tracing.case_clock_overdue").count() == 2
    mark_reported(user=commander, case=case)
    complete_investigation(user=commander, case=case)
    assert set(tasks.values_list("state", flat=True)) == {TaskState.DONE}
    assert Case.objects.get(pk=case.pk).state == CaseState.INVESTIGATED


def test_a_stopped_clock_is_not_escalated(case, commander):
    mark_reported(user=commander, case=case, at=T0 + dt.timedelta(hours=1))
    assert escalate_overdue_clocks(now=T0 + dt.timedelta(hours=3)) == 0


def test_the_escalate_command_prints_json(case):
    out = io.StringIO()
    call_command("tracing", "escalate-clocks", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"escalated": 2}


def test_the_itinerary_is_filled_place_by_place(case, commander):
    add_stop(
        user=commander,
        case=case,
        place="丹尼斯超市",
        arrived_at=T0 - dt.timedelta(days=1),
        left_at=T0 - dt.timedelta(days=1, hours=-1),
        companions="母亲",
        transport="步行",
    )
    with pytest.raises(RuleViolation) as exc:
        add_stop(
            user=commander,
            case=case,
            place="药店",
            arrived_at=T0,
            left_at=T0 - dt.timedelta(hours=1),
        )
    assert exc.value.field == "left_at"
    assert [s.place for s in case.stops.all()] == ["丹尼斯超市"]


def test_a_grid_worker_reads_cases_but_cannot_open_one(grid_worker, resident_documents, residents):
    with pytest.raises(RuleViolation):
        open_case(
            user=grid_worker,
            document_number=resident_documents["王芳"],
            kind="confirmed",
            onset_date=T0.date(),
        )


def test_the_case_pages_open_a_case_and_add_a_place(
    client, commander, residents, resident_documents
):
    client.force_login(commander)
    answer = client.post(
        "/tracing/cases/",
        {
            "document_type": "resident_id",
            "document_number": resident_documents["刘洋"],
            "kind": "confirmed",
            "source": "manual",
            "onset_date": "2022-06-12",
            "team": "流调二组",
        },
    )
    case = Case.objects.get()
    assert answer.status_code == 302 and case.person_name == "刘洋"
    client.post(
        f"/tracing/cases/{case.pk}/",
        {"place": "地铁1号线", "arrived_at": "2022-06-11 08:00", "transport": "地铁"},
    )
    page = client.get(f"/tracing/cases/{case.pk}/").content.decode()
    assert "地铁1号线" in page and resident_documents["刘洋"] not in page
    assert "刘洋" in client.get(reverse("tracing:cases")).content.decode()
    client.post(f"/tracing/cases/{case.pk}/report/")
    assert Case.objects.get().reported_at is not None


def test_a_positive_retest_in_the_registry_opens_its_case_in_one_click(
    client, commander, residents
):
    from fangkong.people.models import HealthStatus, Resident

    # What testing's retest result leaves in the registry: the person is a case to investigate.
    Resident.objects.filter(name="王芳").update(health_status=HealthStatus.CASE_TO_INVESTIGATE)
    client.force_login(commander)
    page = client.get(reverse("tracing:cases")).content.decode()
    assert page.count('data-testid="positive"') == 1 and "王芳" in page
    assert "<td>瓦屋李社区第一网格</td>" in page  # her grid by name, not by its code
    wang = Resident.objects.get(name="王芳")
    answer = client.post(
        f"/tracing/cases/from-resident/{wang.pk}/",
        {"kind": "asymptomatic", "sampling_date": "2022-06-13", "team": "流调一组"},
    )
    case = Case.objects.get(resident=wang)
    assert answer.url == f"/tracing/cases/{case.pk}/"
    assert (case.source, case.sampling_date.isoformat(), case.document_cipher) == (
        "retest",
        "2022-06-13",
        "",
    )
    assert 'data-testid="positive"' not in client.get(reverse("tracing:cases")).content.decode()


def test_the_case_list_shows_a_page_of_cases_and_a_next_link(
    client, commander, residents, resident_documents, monkeypatch
):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    for name in ("张伟", "王芳", "李娜"):
        open_case(
            user=commander,
            document_number=resident_documents[name],
            kind="asymptomatic",
            sampling_date=T0.date(),
        )
    client.force_login(commander)
    first = client.get(reverse("tracing:cases")).content.decode()
    listing = first.split('data-testid="case-list"')[1].split("</table>")[0]
    assert listing.count("<tr>") - 1 == 2  # the header row and two cases
    assert 'href="?page=2"' in first
    second = client.get(reverse("tracing:cases"), {"page": 2}).content.decode()
    assert second.split('data-testid="case-list"')[1].split("</table>")[0].count("<tr>") - 1 == 1


def test_positives_awaiting_a_case_page_by_page_beside_the_cases(
    client, commander, residents, monkeypatch
):
    from fangkong.people.models import HealthStatus, Resident

    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    Resident.objects.filter(name__in=["王芳", "张伟", "刘洋"]).update(
        health_status=HealthStatus.CASE_TO_INVESTIGATE
    )
    client.force_login(commander)
    first = client.get(reverse("tracing:cases"), {"page": 1}).content.decode()
    assert first.count('data-testid="positive"') == 2
    assert 'href="?page=1&amp;positives=2"' in first
    second = client.get(reverse("tracing:cases"), {"page": 1, "positives": 2}).content.decode()
    assert second.count('data-testid="positive"') == 1
