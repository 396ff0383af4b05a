"""Incidents: opened by a positive pool or by hand, commander and roles, timeline from the
events and staff notes, the task board, closing with a summary."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C21
from fangkong.command.models import (
    Channel,
    Incident,
    IncidentRole,
    IncidentStatus,
    Notification,
    TimelineEntry,
)
from fangkong.command.scope import open_incident_for, open_incidents_for
from fangkong.command.selectors import task_board
from fangkong.command.services import incidents as svc
from fangkong.command.services import tasks as task_services
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.work.models import Task, TaskState

from .conftest import C11, G111, G112, G211, S1


def test_a_positive_pool_opens_an_incident_and_alerts_the_staff_who_act(staff, positive_pool):
    incident = positive_pool
    assert incident.area_code == C11 and incident.status == IncidentStatus.OPEN
    assert [e.kind for e in incident.timeline.all()] == ["pool_positive"]
    told = set(
        Notification.objects.filter(channel=Channel.IN_APP, incident=incident).values_list(
            "user__username", flat=True
        )
    )
    # The district, its sub-district and community staff, the two grids' workers — not the
    # other sub-district, not the auditor.
    expected = {staff[k].username for k in ("commander", "wutong", "wawuli", "grid1", "grid2")}
    assert expected <= told
    assert staff["fengyang"].username not in told and staff["auditor"].username not in told
    text = Notification.objects.filter(user=staff["commander"]).get().text
    assert "20混1" in text and "疑似初筛阳性" in text and "3人" in text


def test_redelivering_the_event_opens_nothing_twice(staff, positive_pool):
    from fangkong.core.events import deliver
    from fangkong.core.models import OutboxEvent

    before = Notification.objects.count()
    event = OutboxEvent.objects.get(kind="testing.pool_positive")
    OutboxEvent.objects.filter(pk=event.pk).update(processed_at=None)
    assert deliver(event.pk)
    assert Incident.objects.count() == 1 and TimelineEntry.objects.count() == 1
    assert Notification.objects.count() == before


def test_open_an_incident_by_hand_with_a_commander_and_group_leads(staff):
    commander = staff["commander"]
    incident = svc.open_incident(
        user=commander,
        title="大里村外来人员核酸异常",
        kind="arrival",
        area_code="410172-002-001",
        commander=staff["fengyang"],
        description="接上级协查通报",
    )
    assert incident.commander == staff["fengyang"] and incident.opened_by == commander
    opened = incident.timeline.get()
    assert opened.kind == "opened" and "接上级协查通报" in opened.text
    svc.assign_role(incident=incident, user=commander, member=staff["auditor"], role="liaison")
    svc.assign_role(incident=incident, user=commander, member=staff["auditor"], role="liaison")
    assert IncidentRole.objects.filter(incident=incident).count() == 1
    # The named people hear of it in the app.
    assert Notification.objects.filter(
        user=staff["fengyang"], template_key="incident_role"
    ).exists()
    assert Notification.objects.filter(user=staff["auditor"], template_key="incident_role").exists()
    # The commander of the incident may name group leads too; a grid worker cannot be one.
    svc.assign_role(incident=incident, user=staff["fengyang"], member=commander, role="deputy")
    with pytest.raises(RuleViolation) as exc:
        svc.assign_role(incident=incident, user=commander, member=staff["grid1"], role="testing")
    assert exc.value.code == "role"


def test_only_commanders_open_incidents_and_only_in_their_area(staff):
    with pytest.raises(PermissionDeniedError):
        svc.open_incident(user=staff["wutong"], title="x", area_code=C11)
    with pytest.raises(RuleViolation) as exc:
        svc.open_incident(user=staff["commander"], title="x", area_code="410172-009")
    assert exc.value.code == "unknown"
    assert AuditEntry.objects.filter(
        action=AuditAction.PERMISSION_DENIED, username=staff["wutong"].username
    ).exists()


def test_notes_tasks_and_closing(staff):
    commander, worker = staff["commander"], staff["grid1"]
    incident = svc.open_incident(user=commander, title="瓦屋李社区疑似阳性", area_code=C11)
    earlier = timezone.now() - dt.timedelta(hours=2)
    note = svc.add_note(
        incident=incident, user=commander, text="瓦屋李社区全体工作人员到位", at=earlier
    )
    assert note.author == commander and note.kind == "note"
    with pytest.raises(PermissionDeniedError):
        svc.add_note(incident=incident, user=staff["fengyang"], text="不在本辖区")
    task = task_services.create_task(
        incident=incident,
        user=commander,
        title="独居老人王芳电话核查",
        kind="check_in",
        area_code=G111,
        assignee=worker,
        due_at=timezone.now() - dt.timedelta(minutes=1),
    )
    with pytest.raises(RuleViolation):
        task_services.create_task(
            incident=incident, user=commander, title="x", area_code="410172-002-001-001"
        )
    # The assignee may finish their own task, not cancel it.
    with pytest.raises(PermissionDeniedError):
        task_services.set_task_state(task=task, user=worker, state=TaskState.CANCELLED)
    task_services.set_task_state(task=task, user=worker, state=TaskState.DONE)
    task.refresh_from_db()
    assert task.state == TaskState.DONE and task.done_at and task.detail["done_by"]
    task_services.set_task_state(task=task, user=commander, state=TaskState.OPEN)
    with pytest.raises(RuleViolation):
        svc.close_incident(incident=incident, user=commander, summary=" ")
    closed = svc.close_incident(
        incident=incident,
        user=commander,
        summary="全面恢复正常生活秩序",
        summary_en="Back to normal",
    )
    assert closed.status == IncidentStatus.CLOSED and closed.closed_at
    again = svc.close_incident(incident=closed, user=commander, summary="再次")
    assert again.summary == "全面恢复正常生活秩序"
    kinds = [e.kind for e in TimelineEntry.objects.filter(incident=incident).order_by("at", "id")]
    assert kinds == ["note", "opened", "task", "closed"]
    with pytest.raises(RuleViolation):
        task_services.create_task(incident=closed, user=commander, title="x")


def test_the_board_shows_every_task_of_the_area_by_assignee_and_the_open_retests(
    staff, positive_pool
):
    incident = positive_pool
    Task.objects.create(
        key="doorknock:1:b1",
        kind="door_knock",
        title="敲门 1号楼",
        area_code=G111,
        assignee=staff["grid1"],
        due_at=timezone.now() - dt.timedelta(hours=1),
    )
    Task.objects.create(key="zone:1:x", kind="zone_daily", title="每日巡查", area_code=G112)
    Task.objects.create(
        key="doorknock:1:b9", kind="door_knock", title="别处", area_code="410172-002-001-001"
    )
    task_services.create_task(
        incident=incident, user=staff["commander"], title="核查", assignee=staff["grid2"]
    )
    board = task_board(user=staff["commander"], incident=incident)
    assert board.counts == {"open": 3, "done": 0, "cancelled": 0} and board.overdue == 1
    lanes = {lane.name: lane for lane in board.lanes}
    assert {str(staff["grid1"]), str(staff["grid2"]), ""} == set(lanes)
    assert [t.title for t in lanes[str(staff["grid1"])].open] == ["敲门 1号楼"]
    assert board.retests.by_state == {"pending": 3, "sampled": 0}
    assert {o.resident.name for o in board.retests.rows} == {"张伟", "王芳", "刘洋"}
    # A grid worker's view of the same incident keeps to their grid, and shows no names
    # they may not see (the auditor sees counts only).
    auditor_board = task_board(user=staff["auditor"], incident=incident)
    assert auditor_board.retests.total == 3 and auditor_board.retests.rows == []


def test_incident_pages(client, staff, positive_pool):
    commander = staff["commander"]
    client.force_login(commander)
    incident = positive_pool
    assert client.get(reverse("command:incidents")).status_code == 200
    page = client.get(reverse("command:incident", args=[incident.pk]))
    assert page.status_code == 200
    assert b'data-testid="task-board"' in page.content and incident.title.encode() in page.content
    r = client.post(
        reverse("command:incident_note", args=[incident.pk]), {"text": "梧桐街办事处班子成员到位"}
    )
    assert r.status_code == 302
    r = client.post(
        reverse("command:incident_role", args=[incident.pk]),
        {"member": staff["wawuli"].pk, "role": "testing"},
    )
    assert r.status_code == 302 and IncidentRole.objects.filter(user=staff["wawuli"]).exists()
    r = client.post(
        reverse("command:incident_task", args=[incident.pk]),
        {"title": "上门核查", "kind": "check_in", "area_code": G111, "assignee": staff["grid1"].pk},
    )
    assert r.status_code == 302
    task = Task.objects.get(title="上门核查")
    r = client.post(reverse("command:task_state", args=[task.pk]), {"state": "done"})
    assert r.status_code == 302
    r = client.post(reverse("command:incident_close", args=[incident.pk]), {"summary": ""})
    assert r.status_code == 422
    r = client.post(
        reverse("command:incident_close", args=[incident.pk]), {"summary": "恢复正常生活秩序"}
    )
    assert r.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    page = client.get(reverse("command:incident", args=[incident.pk]))
    assert "恢复正常生活秩序" in page.content.decode()


def test_open_an_incident_from_the_form(client, staff):
    client.force_login(staff["commander"])
    assert client.get(reverse("command:incident_new")).status_code == 200
    r = client.post(
        reverse("command:incident_new"),
        {"title": "演练", "kind": "exercise", "area_code": S1, "commander": staff["wutong"].pk},
    )
    incident = Incident.objects.get(title="演练")
    assert r.status_code == 302 and incident.commander == staff["wutong"]


def test_who_sees_incidents(client, staff, positive_pool):
    client.force_login(staff["grid1"])
    assert client.get(reverse("command:incidents")).status_code == 403
    client.force_login(staff["fengyang"])  # another sub-district
    assert client.get(reverse("command:incident", args=[positive_pool.pk])).status_code == 403
    client.force_login(staff["wutong"])
    assert client.get(reverse("command:incident", args=[positive_pool.pk])).status_code == 200
    assert client.get(reverse("command:incident_new")).status_code == 403


def test_the_retests_close_the_loop_on_the_timeline_and_in_the_inbox(
    staff, positive_pool, lab, tablet, sample_item, id_number, django_capture_on_commit_callbacks
):
    from fangkong.lab.services.boxes import hand_box_to_courier, pack_box, receive_box
    from fangkong.lab.services.results import ResultIn, record_results
    from fangkong.testing.models import RetestOrder
    from fangkong.testing.services.registration import register_samples
    from fangkong.testing.services.rounds import create_tubes

    order = RetestOrder.objects.select_related("station", "retest_round").first()
    singles = create_tubes(round=order.retest_round, count=3)
    numbers = [
        id_number("410172", "19900101", 11),
        id_number("410102", "19450302", 22),
        id_number("411302", "19851120", 33),
    ]
    register_samples(
        station=order.station,
        items=[sample_item(t, n) for t, n in zip(singles, numbers, strict=True)],
        actor=tablet,
    )
    box = pack_box(
        code="BOX-R1",
        round=order.retest_round,
        barcodes=[t.barcode for t in singles],
        actor=tablet,
        by="上门队",
    )
    hand_box_to_courier(box=box, courier="转运员", actor=tablet)
    receive_box(box=box, lab=lab, actor=lab.token, by="检验员")
    with django_capture_on_commit_callbacks(execute=True):
        record_results(
            lab=lab, items=[ResultIn(t.barcode, "negative") for t in singles], actor=lab.token
        )
    kinds = list(positive_pool.timeline.values_list("kind", flat=True))
    assert kinds == ["pool_positive", "pool_cleared"]
    cleared = Notification.objects.get(user=staff["wawuli"], template_key="pool_cleared")
    assert "单管复检结果全部为阴性" in cleared.text and cleared.incident == positive_pool
    board = task_board(user=staff["commander"], incident=positive_pool)
    assert board.retests.total == 0


def test_what_staff_type_is_marked_narrative_and_what_the_system_records_is_not(
    staff, positive_pool
):
    commander = staff["commander"]
    svc.add_note(incident=positive_pool, user=commander, text="三级网格到位")
    svc.close_incident(incident=positive_pool, user=commander, summary="全面恢复正常生活秩序")
    marked = {e.kind: e.narrative for e in TimelineEntry.objects.filter(incident=positive_pool)}
    assert marked == {"pool_positive": False, "note": True, "closed": True}


def test_closed_incidents_page_by_page_and_open_ones_stay_on_top(client, staff, monkeypatch):
    from fangkong.command import views

    monkeypatch.setattr(views, "CLOSED_PAGE_SIZE", 2)
    commander = staff["commander"]
    for n in range(4):
        svc.open_incident(user=commander, title=f"事件{n}", kind="arrival", area_code=G111)
    Incident.objects.exclude(title="事件3").update(
        status=IncidentStatus.CLOSED, closed_at=timezone.now()
    )
    client.force_login(commander)
    first = client.get(reverse("command:incidents")).content.decode()
    assert first.count('data-testid="closed-incident-list"') == 1
    closed_rows = first.split('data-testid="closed-incident-list"')[1].count("<tr><td>")
    assert closed_rows == 2 and "事件3" in first
    assert 'href="?page=2"' in first
    second = client.get(reverse("command:incidents"), {"page": 2}).content.decode()
    assert second.split('data-testid="closed-incident-list"')[1].count("<tr><td>") == 1
    assert "事件3" in second and 'href="?page=1"' in second


def test_the_incident_list_names_the_area_with_its_code_as_a_hint(client, staff):
    from fangkong.geo.selectors import get_node

    commander = staff["commander"]
    svc.open_incident(user=commander, title="演练", kind="arrival", area_code=G111)
    client.force_login(commander)
    page = client.get(reverse("command:incidents")).content.decode()
    assert f'<td>{get_node(G111).name_zh} <code class="muted">{G111}</code></td>' in page


def test_the_task_board_pages_its_tasks_and_keeps_the_page_when_one_is_done(
    client, staff, positive_pool, monkeypatch
):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    for n in range(3):
        Task.objects.create(key=f"board:{n}", kind="zone_daily", title=f"巡查{n}", area_code=G111)
    client.force_login(staff["commander"])
    url = reverse("command:incident", args=[positive_pool.pk])
    first = client.get(url).content.decode()
    assert first.count("data-task=") == 2 and 'href="?tasks=2"' in first
    second = client.get(url, {"tasks": 2}).content.decode()
    assert second.count("data-task=") == 1 and 'href="?tasks=1"' in second
    assert f'name="next" value="{url}?tasks=2"' in second
    # Marking a task done on page 2 returns to page 2, not to the top of the board.
    task = Task.objects.get(pk=second.split('data-task="')[1].split('"')[0])
    answer = client.post(
        reverse("command:task_state", args=[task.pk]),
        {"state": "done", "next": f"{url}?tasks=2"},
    )
    assert answer.url == f"{url}?tasks=2"


def test_events_file_on_the_oldest_open_incident_of_their_community_only(staff):
    """One covering rule for every handler: the community's (or a grid's below it) oldest open
    incident; never a sibling community's, never a closed one."""
    now = timezone.now()
    Incident.objects.create(title="其他社区", area_code=C21, opened_at=now - dt.timedelta(hours=3))
    Incident.objects.create(
        title="已关闭",
        area_code=C11,
        opened_at=now - dt.timedelta(hours=2),
        status=IncidentStatus.CLOSED,
    )
    oldest = Incident.objects.create(
        title="网格", area_code=G112, opened_at=now - dt.timedelta(hours=1)
    )
    Incident.objects.create(title="社区", area_code=C11, opened_at=now)

    assert open_incident_for(f"{G111}-001-0101") == oldest
    assert open_incidents_for([f"{G111}-001-0101"]) == {f"{G111}-001-0101": oldest}
    assert open_incident_for(f"{S1}-002-001") is None
    assert open_incident_for(G211).title == "其他社区"
