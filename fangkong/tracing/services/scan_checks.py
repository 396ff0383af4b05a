"""Checking one scan: its time, its text, and its document worked out once per person.

Shared by the device batches and the file import of `scans`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.core import crypto
from fangkong.core.documents import DocumentType, validate_document
from fangkong.core.errors import RuleViolation
from fangkong.core.masking import mask_document
from fangkong.people.services import document_index

from ..models import VenueKind

DOCUMENT_CONTEXT = "tracing.scan.document"
CSV_COLUMNS = (
    "source_id",
    "venue_code",
    "venue_name",
    "venue_kind",
    "document_type",
    "document_number",
    "scanned_at",
)
EARLIEST_SCAN = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # before the first venue codes
# Checked for every row of a file: a set, not the enum's list built anew on each call.
VENUE_KINDS = frozenset(VenueKind.values)


def fail(field_name: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field_name, code=code, message=message)


def parse_scan_time(
    text: object, *, field_name: str = "scanned_at", latest: dt.datetime | None = None
) -> dt.datetime:
    """An ISO 8601 time with an offset (`Z` included), kept to the second; no later than
    `latest` (a day after now unless given: a file's rows share one clock)."""
    if isinstance(text, dt.datetime):
        moment = text
    else:
        try:
            moment = dt.datetime.fromisoformat(str(text).strip())
        except ValueError:
            raise fail(field_name, "invalid", _("Not an ISO 8601 time.")) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise fail(
            field_name, "no_offset", _("The time needs an offset (+08:00, Z): it is ambiguous.")
        )
    # Each day gets a partition on PostgreSQL: a mistyped year must not make one, nor a
    # year 9999 overflow the day's bounds. A day of leeway for a device's clock.
    if latest is None:
        latest = latest_scan_time()
    if not EARLIEST_SCAN <= moment <= latest:
        raise fail(field_name, "out_of_range", _("The time lies before 2020 or in the future."))
    return moment.replace(microsecond=0) if moment.microsecond else moment


def latest_scan_time() -> dt.datetime:
    """A device's clock may run ahead: a day of leeway."""
    return timezone.now() + dt.timedelta(days=1)


class DocumentVault:
    """Validated, encrypted and indexed documents, each worked out once per batch or file.

    One person scans many times a day, so validation, encryption and the blind index are done
    once per person, not per scan. The cache is keyed by a keyed hash of the document (the key
    is random and dies with the vault), so no clear number stays in memory after the rows that
    carried it; it is emptied at `limit` people, so memory stays flat over any file.

    `encode`, when given, turns a person's (type, cipher, index, masked) into what the writer
    takes (the end of a line of COPY text), also once per person; `protect` then returns that.
    """

    # A district's 14 days of scans come from some 360,000 people (the benchmark's city of
    # 10 million scans): under this limit each is worked out once. At 200,000 the cache was
    # emptied every few hundred thousand rows and two rows in three worked their person out
    # again; measured on 10 million scans, 500,000 cost 32 MiB more and saved 180 s of CPU.
    def __init__(self, *, limit: int = 500_000, encode: Callable | None = None) -> None:
        self._seen: dict[bytes, Any] = {}
        self._encode = encode
        # Copying a keyed hash costs less than keying a new one for every row.
        self._hash = hashlib.blake2b(key=secrets.token_bytes(32), digest_size=16)
        self._limit = limit

    def protect(self, document_type: str, number: str) -> Any:
        digest = self._hash.copy()
        digest.update(f"{document_type}\x1f{number}".encode())
        key = digest.digest()
        found = self._seen.get(key)
        if found is None:
            doc = validate_document(document_type or DocumentType.RESIDENT_ID, number)
            found = (
                doc.type,
                crypto.encrypt(doc.number, context=DOCUMENT_CONTEXT),
                document_index(doc.type, doc.number),
                mask_document(doc.number),
            )
            if self._encode is not None:
                found = self._encode(found)
            if len(self._seen) >= self._limit:
                self._seen.clear()
            self._seen[key] = found
        return found


def person_index(*, document_type: str, document_number: str) -> str:
    """The blind index that finds a person's scans under any spelling of the document."""
    return person_key(document_type=document_type, document_number=document_number)[0]


def person_key(*, document_type: str, document_number: str) -> tuple[str, str]:
    """(blind index, masked document) of a person's document, whatever its spelling."""
    doc = validate_document(document_type or DocumentType.RESIDENT_ID, document_number)
    return document_index(doc.type, doc.number), mask_document(doc.number)


def storable_text(value: str, name: str) -> None:
    """Text a database can hold: no NUL character (PostgreSQL refuses it) and no lone
    surrogate (not UTF-8); such text is refused, not answered with a 500."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        ok = False
    else:
        ok = "\x00" not in value
    if not ok:
        raise fail(name, "invalid", _("This text holds characters that cannot be stored."))
