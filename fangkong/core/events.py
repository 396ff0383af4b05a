"""Domain events through an outbox: publish inside the transaction, deliver after commit.

Apps publish plain events; `command` (and others) subscribe. Delivery runs each handler in
its own transaction together with an OutboxDelivery row, so every handler applies every
event exactly once, even across crashes and retries by the worker.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxDelivery, OutboxEvent

log = logging.getLogger(__name__)
Handler = Callable[[OutboxEvent], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


@dataclass(frozen=True)
class DomainEvent:
    """Base for typed events; subclasses set `kind` and add fields (JSON-serialisable)."""

    area_code: str

    kind = "event"

    def payload(self) -> dict:
        data = asdict(self)
        data.pop("area_code")
        return data


def subscribe(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if fn not in _handlers[kind]:
            _handlers[kind].append(fn)
        return fn

    return register


def handler_name(fn: Handler) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def publish(event: DomainEvent, *, occurred_at=None) -> OutboxEvent:
    """Write the event to the outbox in the caller's transaction; deliver after commit."""
    row = OutboxEvent.objects.create(
        kind=event.kind,
        area_code=event.area_code,
        payload=event.payload(),
        occurred_at=occurred_at or timezone.now(),
    )
    transaction.on_commit(lambda: deliver(row.pk), robust=True)
    return row


def deliver(event_id: int) -> bool:
    """Apply every subscribed handler that has not yet applied this event.

    Returns False when a handler failed (the event stays pending for the worker's next pass).
    """
    return _deliver(event_id) is not False


def _deliver(event_id: int) -> bool | None:
    """True: delivered now; False: a handler failed; None: nothing to do here.

    The event row is claimed for the whole delivery, so two workers (or a worker and the web
    process that published it) never run its handlers side by side: on PostgreSQL the second
    skips a row another holds (`skip_locked`); on SQLite every write transaction holds the
    database's write lock, so the second finds it processed. Each handler still runs in its
    own savepoint with its OutboxDelivery row, so a failing one leaves the others applied.
    """
    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, processed_at__isnull=True)
            .first()
        )
        if event is None:
            return None
        done = set(OutboxDelivery.objects.filter(event=event).values_list("handler", flat=True))
        ok = True
        for fn in list(_handlers.get(event.kind, ())):
            name = handler_name(fn)
            if name in done:
                continue
            try:
                with transaction.atomic():
                    try:
                        with transaction.atomic():
                            OutboxDelivery.objects.create(event=event, handler=name)
                    except IntegrityError:
                        # Delivered by a process that did not claim the row; that stands.
                        continue
                    fn(event)
            except Exception as exc:  # an IntegrityError of the handler's own is a failure
                ok = False
                log.exception("handler %s failed on event %s", name, event.pk)
                OutboxEvent.objects.filter(pk=event.pk).update(
                    attempts=F("attempts") + 1,
                    last_error=f"{name}: {type(exc).__name__}: {exc}"[:2000],
                )
        if ok:
            OutboxEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now())
        return ok


def deliver_pending(*, limit: int = 500) -> tuple[int, int]:
    """The worker's pass: retry events not yet fully delivered, oldest first.

    Returns (delivered, still_failing); events another worker is delivering are skipped.
    """
    delivered = failing = 0
    ids = list(
        OutboxEvent.objects.filter(processed_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for pk in ids:
        outcome = _deliver(pk)
        if outcome is True:
            delivered += 1
        elif outcome is False:
            failing += 1
    return delivered, failing
