"""A batch of samples as a device posts it: the items, their answers, and the checks that
need no database (document checksums, sampling-code signatures, the device's clock), done
before the batch's transaction opens."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from fangkong.core.crypto import blind_index
from fangkong.core.documents import DocumentType, validate_document
from fangkong.core.errors import RuleViolation
from fangkong.core.text_input import NUL, nul_violation
from fangkong.people.sampling_codes import resident_id_from_code
from fangkong.people.services import document_index, normalise_phone

from ..models import SampleFlag, TestingRound

MAX_BATCH = 500
# A tablet clock a few minutes fast is normal; more than this is a wrong clock or a typo.
CLOCK_TOLERANCE = dt.timedelta(minutes=15)
MAX_AGE = dt.timedelta(days=2)


@dataclass
class SampleItem:
    idempotency_key: str
    tube_barcode: str
    taken_at: dt.datetime
    document_type: str | None = None
    document_number: str | int | float | None = None  # anything but text is refused
    sampling_code: str | None = None
    name: str | None = None
    phone: str | None = None
    guardian: str | None = None


TEXT_FIELDS = (
    "idempotency_key",
    "tube_barcode",
    "document_type",
    "document_number",
    "sampling_code",
    "name",
    "phone",
    "guardian",
)


@dataclass
class ItemOutcome:
    index: int
    idempotency_key: str
    status: str = "accepted"  # accepted | rejected
    replayed: bool = False
    sample_id: int | None = None
    tube_barcode: str = ""
    tube_samples: int | None = None
    tube_sealed: bool = False
    flags: list[str] = field(default_factory=list)
    field: str | None = None
    code: str | None = None
    message: str | None = None

    def reject(self, exc: RuleViolation) -> None:
        self.status, self.field, self.code, self.message = (
            "rejected",
            exc.field,
            exc.code,
            force_str(exc.message),
        )


@dataclass
class BatchResult:
    round_id: int
    station_id: int
    accepted: int
    rejected: int
    replayed: int
    items: list[ItemOutcome]


@dataclass
class PreparedItem:
    item: SampleItem
    outcome: ItemOutcome
    document: object = None
    index: str | None = None
    code_resident: int | None = None
    phone: str = ""
    flags: int = 0
    taken_at: dt.datetime | None = None
    resident_id: int | None = None
    digest: str = ""  # of the request: a replay must match it (see `request_digest`)


@functools.cache
def _flag_tuple(flags: int) -> tuple[str, ...]:
    return tuple(f.name.lower() for f in SampleFlag if flags & f)


def flag_names(flags: int) -> list[str]:
    return list(_flag_tuple(int(flags)))


def rule(field_: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field_, code=code, message=message)


def request_digest(item: SampleItem) -> str:
    """What the item asks for, as a keyed hash (no personal data in clear): the same key
    sent again for another person, document, tube or time is a reused key, not a replay."""
    request = "\x1f".join(
        (
            item.tube_barcode,
            item.document_type or "",
            item.document_number or "",
            item.sampling_code or "",
            item.name or "",
            item.phone or "",
            item.guardian or "",
            repr(item.taken_at.timestamp()),
        )
    )
    return blind_index(request, context="sample.request")[:16]


@dataclass(frozen=True)
class Clock:
    now: dt.datetime
    latest: dt.datetime  # later than this is a wrong device clock
    earliest: dt.datetime  # before the round could start
    closes: dt.datetime | None = None  # the end of the round's sampling window

    @classmethod
    def of(cls, now: dt.datetime, round_: TestingRound) -> Clock:
        return cls(now, now + CLOCK_TOLERANCE, round_.starts_at - MAX_AGE, round_.due_at)


def precheck(i: int, item: SampleItem, clock: Clock) -> PreparedItem:
    """Checks that need no database, done before the transaction opens."""
    p = PreparedItem(
        item=item,
        outcome=ItemOutcome(
            index=i, idempotency_key=item.idempotency_key, tube_barcode=item.tube_barcode
        ),
    )
    try:
        for name in TEXT_FIELDS:
            value = getattr(item, name)
            if isinstance(value, str) and NUL in value:
                raise nul_violation(name)  # PostgreSQL cannot hold it: this item, not the batch
        if not item.idempotency_key or len(item.idempotency_key) > 128:
            raise rule(
                "idempotency_key",
                "invalid",
                _("An idempotency key of 1 to 128 characters is required."),
            )
        if item.taken_at.tzinfo is None:
            raise rule("taken_at", "timezone", _("taken_at needs a time zone offset."))
        if item.taken_at > clock.latest:
            raise rule(
                "taken_at", "future", _("taken_at is in the future: check the device clock.")
            )
        if item.taken_at > clock.now:
            p.flags |= SampleFlag.CLOCK_SKEW
        if item.taken_at < clock.earliest:
            raise rule("taken_at", "too_old", _("taken_at is before this round started."))
        if clock.closes is not None and item.taken_at > clock.closes:
            # Judged by when the swab was taken: a tablet's offline queue that arrives after
            # the window's end still brings the samples taken inside it.
            raise rule("taken_at", "window_closed", _("This round's sampling window has ended."))
        p.taken_at = min(item.taken_at, clock.now)
        if item.sampling_code:
            p.code_resident = resident_id_from_code(item.sampling_code)
            p.flags |= SampleFlag.SAMPLING_CODE
        elif item.document_number not in (None, ""):
            if not isinstance(item.document_number, str):
                raise rule(
                    "document_number",
                    "invalid_type",
                    _("The document number must be sent as text, not as a number."),
                )
            doc = validate_document(
                item.document_type or DocumentType.RESIDENT_ID, item.document_number
            )
            p.document = doc
            p.index = document_index(doc.type, doc.number)
        else:
            # No document: taken with name, phone and guardian, and followed up later.
            if not (item.name or "").strip():
                raise rule(
                    "name", "required", _("Without a document, the person's name is required.")
                )
            if not (item.phone or item.guardian):
                raise rule(
                    "phone", "required", _("Without a document, give a phone number or a guardian.")
                )
            p.flags |= SampleFlag.NO_DOCUMENT
        if item.phone:
            p.phone = normalise_phone(item.phone)
        p.digest = request_digest(item)
    except RuleViolation as exc:
        p.outcome.reject(exc)
    return p
