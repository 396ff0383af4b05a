"""Tasks moved from the command centre's app to `work`: no row and no incident link is lost."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone, translation

from fangkong.work.models import TASK_KIND_LABELS, task_kind_label

BEFORE = [("command", "0003_roles_bulletins_notifications")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_tasks_and_their_incidents_survive_the_move():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate(BEFORE)
    Incident = old.get_model("command", "Incident")
    OldTask = old.get_model("command", "Task")
    incident = Incident.objects.create(title="x", area_code="410172", opened_at=timezone.now())
    linked = OldTask.objects.create(
        key="k1", kind="check_in", title="visit", area_code="410172", incident=incident
    )
    loose = OldTask.objects.create(key="k2", kind="door_knock", title="knock", area_code="410172")

    new = _migrate(latest)
    Task = new.get_model("work", "Task")
    IncidentTask = new.get_model("command", "IncidentTask")
    assert set(Task.objects.values_list("pk", "title")) == {
        (linked.pk, "visit"),
        (loose.pk, "knock"),
    }
    assert list(IncidentTask.objects.values_list("task_id", "incident_id")) == [
        (linked.pk, incident.pk)
    ]


@pytest.mark.parametrize("kind", ["case_overdue", "case_clock", "follow_up_missed", "verification"])
def test_the_new_domains_task_kinds_have_names_in_chinese(kind):
    assert kind in TASK_KIND_LABELS
    with translation.override("zh-hans"):
        label = task_kind_label(kind)
    assert label != kind and not label.isascii()
