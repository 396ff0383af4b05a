"""Outbox delivery: a handler's own integrity error is a failure (the event stays pending), and
an event another worker is delivering is skipped, not waited for and not applied twice."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from django.db import IntegrityError, connection, connections, transaction

from fangkong.core import events
from fangkong.core.events import DomainEvent, deliver_pending, publish, subscribe
from fangkong.core.models import OutboxDelivery, OutboxEvent


@dataclass(frozen=True)
class Tick(DomainEvent):
    kind = "test.tick"
    n: int = 0


@pytest.fixture
def handler():
    state = {"error": None, "applied": []}

    def apply(event):
        if state["error"] is not None:
            raise state["error"]
        state["applied"].append(event.payload["n"])

    subscribe(Tick.kind)(apply)
    yield state
    events._handlers[Tick.kind].remove(apply)


@pytest.mark.django_db
def test_an_integrity_error_inside_a_handler_keeps_the_event_pending(handler):
    """It used to be taken for "another worker delivered it": the event was marked processed
    and its effect never happened."""
    handler["error"] = IntegrityError("a constraint of the handler's own table")
    with transaction.atomic():
        publish(Tick(area_code="410172", n=1))
    assert deliver_pending() == (0, 1)
    event = OutboxEvent.objects.get(kind=Tick.kind)
    assert event.processed_at is None and event.attempts >= 1
    assert not OutboxDelivery.objects.filter(event=event).exists()
    handler["error"] = None
    assert deliver_pending() == (1, 0)
    assert handler["applied"] == [1]


# Row locks are PostgreSQL's; SQLite runs one write transaction at a time.
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_skips_an_event_another_worker_holds(handler):
    with transaction.atomic():
        publish(Tick(area_code="410172", n=2))
    handler["applied"].clear()  # the after-commit delivery is not what this test is about
    event = OutboxEvent.objects.get(kind=Tick.kind)
    OutboxEvent.objects.filter(pk=event.pk).update(processed_at=None)
    OutboxDelivery.objects.filter(event=event).delete()
    held, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                OutboxEvent.objects.select_for_update().get(pk=event.pk)
                held.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(30)
        with connection.cursor() as cursor:  # without skip_locked this pass would wait
            cursor.execute("SET lock_timeout = '2s'")
        assert deliver_pending() == (0, 0)
        assert handler["applied"] == []
    finally:
        release.set()
        thread.join(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert deliver_pending() == (1, 0)
    assert handler["applied"] == [2]
