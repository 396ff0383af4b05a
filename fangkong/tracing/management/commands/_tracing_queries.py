"""The read-only subcommands of `fangkong tracing`: exposures and order plans, as JSON."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.utils.translation import gettext as _

from fangkong.core.errors import RuleViolation
from fangkong.tracing.protocol import tracing_protocol
from fangkong.tracing.selectors import OPERATOR, list_exposures
from fangkong.tracing.services.orders import plan_orders


def add_query_parsers(sub) -> None:
    exp = sub.add_parser("exposures", help="other people's scans near a person's scans")
    exp.add_argument("--document-number", required=True)
    exp.add_argument("--document-type", default="resident_id")
    exp.add_argument("--from", dest="start", required=True, help="ISO 8601 date or time")
    exp.add_argument("--to", dest="end", required=True, help="ISO 8601 date or time")
    exp.add_argument("--window-minutes", type=int, default=None, help="override the protocol")
    exp.add_argument("--protocol", default=None, help="preset name (default: the district's)")
    exp.add_argument("--json", action="store_true", help="print JSON (always JSON)")
    plan = sub.add_parser("order-plan", help="the control orders of a tier, dated")
    plan.add_argument("--protocol", required=True)
    plan.add_argument("--tier", required=True)
    plan.add_argument("--last-exposure", required=True, help="ISO 8601 date")
    plan.add_argument("--json", action="store_true", help="print JSON (always JSON)")


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def parse_bound(text: str, *, field: str, end: bool = False) -> dt.datetime:
    """A period's bound: a time (local when it has no offset) or a date (its whole day)."""
    try:
        if len(text.strip()) == 10:
            day = dt.date.fromisoformat(text.strip())
            moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
        else:
            moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise RuleViolation(
            field=field, code="invalid", message=_("Not an ISO 8601 time.")
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone())
    return moment.replace(microsecond=0)


def handle_query(options: dict) -> dict:
    """The order plan as JSON."""
    try:
        last = dt.date.fromisoformat(options["last_exposure"])
    except ValueError:
        raise RuleViolation(
            field="last_exposure", code="invalid", message=_("Not an ISO 8601 date.")
        ) from None
    protocol = tracing_protocol(options["protocol"])
    return plan_orders(protocol=protocol, tier=options["tier"], last_exposure=last).as_json()


def write_exposures(options: dict, write: Callable[[str], object]) -> int:
    """Print `{"exposures": [...]}` as the rows arrive, each exposure scan once: an answer of
    hundreds of thousands of rows is never held whole. The number printed."""
    exposures = list_exposures(
        actor=OPERATOR,
        document_type=options["document_type"],
        document_number=options["document_number"],
        start=parse_bound(options["start"], field="from"),
        end=parse_bound(options["end"], field="to", end=True),
        window_minutes=options["window_minutes"],
        protocol=options["protocol"],
    )
    zone, count, batch = _zone(), 0, []
    write('{"exposures": [')
    for e in exposures:
        item = {
            "source_id": e.source_id,
            "venue_code": e.venue_code,
            "scanned_at": e.scanned_at.astimezone(zone).isoformat(),
            "matched_source_id": e.matched_source_id,
            "minutes_apart": e.minutes_apart,
        }
        batch.append(json.dumps(item, ensure_ascii=False))
        count += 1
        if len(batch) == WRITE_BATCH:
            write((", " if count > WRITE_BATCH else "") + ", ".join(batch))
            batch = []
    if batch:
        write((", " if count > len(batch) else "") + ", ".join(batch))
    write("]}")
    return count


WRITE_BATCH = 1000
