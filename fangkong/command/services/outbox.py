"""The worker's pass: replay undelivered domain events, then send due notifications.

`fangkong outbox` runs it once or in a loop; the `run_outbox` task runs it on the task
worker. Both call this one function, which can be re-run at any time: events are applied once
per handler (core.events) and notifications are claimed before they are sent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from fangkong.core.events import deliver_pending

from .notifications import send_pending_notifications


@dataclass
class OutboxPass:
    delivered: int = 0
    failing: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def busy(self) -> bool:
        return any(asdict(self).values())


def run_outbox_pass(*, limit: int = 500) -> OutboxPass:
    delivered, failing = deliver_pending(limit=limit)
    sent = send_pending_notifications(limit=limit)
    return OutboxPass(
        delivered=delivered,
        failing=failing,
        sent=sent.sent,
        retried=sent.retried,
        failed=sent.failed,
        deferred=sent.deferred,
    )
