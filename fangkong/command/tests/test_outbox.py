"""The outbox worker: `fangkong outbox` and its task replay undelivered events; a failing
handler never loses an event and never applies one twice."""

from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import transaction

from fangkong.command.models import Incident, TimelineEntry
from fangkong.command.tasks import run_outbox
from fangkong.core import events
from fangkong.core.events import DomainEvent, publish, subscribe
from fangkong.core.models import OutboxDelivery, OutboxEvent

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Drill(DomainEvent):
    kind = "test.drill"
    n: int = 0


@pytest.fixture
def flaky_handler():
    """A handler for `test.drill` that fails while `state["broken"]`; removed afterwards."""
    state = {"broken": True, "applied": []}

    def handler(event):
        if state["broken"]:
            raise RuntimeError("lab system unreachable")
        state["applied"].append(event.payload["n"])

    subscribe(Drill.kind)(handler)
    yield state
    events._handlers[Drill.kind].remove(handler)


def test_a_failing_handler_never_loses_an_event(flaky_handler, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(Drill(area_code="410172", n=7))
    event = OutboxEvent.objects.get(kind=Drill.kind)
    assert event.processed_at is None and event.attempts == 1
    assert "lab system unreachable" in event.last_error
    assert not OutboxDelivery.objects.filter(event=event).exists()

    call_command("outbox")  # still broken: retried, still kept
    event.refresh_from_db()
    assert event.processed_at is None and event.attempts == 2

    flaky_handler["broken"] = False
    call_command("outbox")
    call_command("outbox")  # a second pass finds nothing to do
    event.refresh_from_db()
    assert event.processed_at is not None
    assert flaky_handler["applied"] == [7]
    assert OutboxDelivery.objects.filter(event=event).count() == 1


def test_a_positive_pool_whose_delivery_was_lost_is_replayed_by_the_worker(received_tube, lab):
    """Committed without running the after-commit delivery (a crash right after commit):
    the worker opens the incident later, once."""
    from fangkong.lab.services.results import ResultIn, record_results

    record_results(
        lab=lab, items=[ResultIn(received_tube.barcode, "positive", 30, 31)], actor=lab.token
    )
    assert not Incident.objects.exists()
    call_command("outbox")
    call_command("outbox")
    incident = Incident.objects.get()
    assert TimelineEntry.objects.filter(incident=incident).count() == 1
    assert OutboxEvent.objects.get().processed_at is not None


def test_the_loop_passes_until_told_to_stop(flaky_handler, capsys):
    with transaction.atomic():
        publish(Drill(area_code="410172", n=1))
    flaky_handler["broken"] = False
    call_command("outbox", loop=True, interval=0, max_passes=3, verbosity=2)
    out = capsys.readouterr().out
    assert out.count("\n") == 3  # one line per pass
    assert flaky_handler["applied"] == [1]


def test_the_task_runs_the_same_pass(flaky_handler):
    with transaction.atomic():
        publish(Drill(area_code="410172", n=3))
    assert run_outbox.call()["failing"] == 1
    flaky_handler["broken"] = False
    result = run_outbox.call()
    assert result["delivered"] == 1 and result["failing"] == 0
    assert flaky_handler["applied"] == [3]


@pytest.mark.django_db(transaction=True)
def test_the_task_runs_on_the_database_worker(flaky_handler):
    """Enqueued like any task and run by `db_worker` (which reconnects between tasks, so
    this test commits for real)."""
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        publish(Drill(area_code="410172", n=5))  # delivered at commit: fails
    flaky_handler["broken"] = False
    run_outbox.enqueue()
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    row = DBTaskResult.objects.get()
    assert row.status == "SUCCESSFUL" and row.return_value["delivered"] == 1
    assert flaky_handler["applied"] == [5]


def test_bad_options_are_refused():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("outbox", interval=-1)
