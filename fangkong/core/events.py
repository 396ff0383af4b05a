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

    Returns True when all handlers have applied it (the event is then marked processed).
    """
    event = OutboxEvent.objects.filter(pk=event_id, processed_at__isnull=True).first()
    if event is None:
        return True
    done = set(OutboxDelivery.objects.filter(event=event).values_list("handler", flat=True))
    ok = True
    for fn in list(_handlers.get(event.kind, ())):
        name = handler_name(fn)
        if name in done:
            continue
        try:
            with transaction.atomic():
                OutboxDelivery.objects.create(event=event, handler=name)
                fn(event)
        except IntegrityError:
            # Another worker delivered it concurrently; that delivery stands.
            continue
        except Exception as exc:
            ok = False
            log.exception("handler %s failed on event %s", name, event.pk)
            OutboxEvent.objects.filter(pk=event.pk).update(
                attempts=F("attempts") + 1, last_error=f"{name}: {type(exc).__name__}: {exc}"[:2000]
            )
    if ok:
        OutboxEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now())
    return ok


def deliver_pending(*, limit: int = 500) -> tuple[int, int]:
    """The worker's pass: retry events not yet fully delivered, oldest first.

    Returns (delivered, still_failing).
    """
    delivered = failing = 0
    ids = list(
        OutboxEvent.objects.filter(processed_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for pk in ids:
        if deliver(pk):
            delivered += 1
        else:
            failing += 1
    return delivered, failing
