"""Venue-code scans: batches from devices, files from the venue-code platform, and the purge.

Every row is checked on its own; a bad row is reported with its reason and the others are
kept. A scan already stored under its `source_id` is a duplicate, not a new scan. The document
is stored encrypted with the registry's blind index (so any spelling of the same document —
full-width digits, a lower-case x, a 15-digit old number — finds the same person) and a masked
form; the clear number never reaches the database or the log.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import itertools
import operator
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core import collector
from fangkong.core.documents import DocumentType
from fangkong.core.errors import RuleViolation
from fangkong.core.services import run_idempotent

from .. import scan_chunks, scan_store
from ..models import Venue, VenueKind
from ..scan_chunks import plain_time_text, plain_utc
from ..scan_store import PurgeResult, ScanRow
from .scan_checks import (
    CSV_COLUMNS,
    EARLIEST_SCAN,
    VENUE_KINDS,
    DocumentVault,
    fail,
    latest_scan_time,
    parse_scan_time,
    storable_text,
)
from .venues import default_venue_area, resolve_venue_code

DEFAULT_CHUNK = 50_000
MAX_API_BATCH = 1000

# --- batches from devices (API) ---------------------------------------------------------------


@dataclass(frozen=True)
class ScanIn:
    venue_code: str
    document_number: str
    scanned_at: str | dt.datetime
    document_type: str = DocumentType.RESIDENT_ID
    source_id: str = ""


def record_scans(*, actor, idempotency_key: str, items: Sequence[ScanIn]) -> tuple[int, dict, bool]:
    """Store a device's batch once: (status, answer, replayed).

    The answer counts accepted and duplicate scans and lists each refused item with its reason.
    """
    require_permission(actor=actor, action="import_scans", object_type="venue_scans")
    storable_text(idempotency_key, "idempotency_key")
    if not 1 <= len(items) <= MAX_API_BATCH:
        raise fail(
            "scans",
            "batch_size",
            _("Send 1 to %(n)s scans in a batch.") % {"n": MAX_API_BATCH},
        )
    payload = [asdict(i) for i in items]
    return run_idempotent(
        key=idempotency_key,
        scope="tracing.scans",
        payload=payload,
        write=lambda: _write_batch(idempotency_key, items),
    )


def _storable(item: ScanIn) -> None:
    for name in ("venue_code", "document_type", "document_number", "source_id"):
        storable_text(getattr(item, name), name)


def _write_batch(key: str, items: Sequence[ScanIn]) -> tuple[int, dict]:
    vault, rows, rejected = DocumentVault(), [], []
    batch = hashlib.sha256(key.encode()).hexdigest()[:16]
    codes = {}
    for i, item in enumerate(items):
        try:
            _storable(item)
            codes[i] = resolve_venue_code(item.venue_code)
        except RuleViolation as exc:
            rejected.append({"index": i, **exc.as_dict()})
    venues = dict(Venue.objects.filter(code__in=set(codes.values())).values_list("code", "id"))
    bad = {r["index"] for r in rejected}
    for i, item in enumerate(items):
        if i in bad:
            continue
        try:
            venue_id = venues.get(codes[i])
            if venue_id is None:
                raise fail("venue_code", "unknown", _("No venue has this code."))
            source_id = (item.source_id or f"api:{batch}:{i}").strip()
            if len(source_id) > 64:
                raise fail("source_id", "too_long", _("A source id has at most 64 characters."))
            moment = parse_scan_time(item.scanned_at)
            rows.append(
                ScanRow(
                    venue_id,
                    moment,
                    source_id,
                    *vault.protect(item.document_type, item.document_number),
                )
            )
        except RuleViolation as exc:
            rejected.append({"index": i, **exc.as_dict()})
    rejected.sort(key=lambda r: r["index"])
    inserted = scan_store.write_scans(rows)
    answer = {"accepted": inserted, "duplicates": len(rows) - inserted, "rejected": rejected}
    return 200, answer


# --- files from the venue-code platform (CLI) -------------------------------------------------


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    venues_created: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": len(self.errors),
            "venues_created": self.venues_created,
            "errors": self.errors,
        }


class _Chunk(NamedTuple):
    rows: list  # scan_chunks.ChunkRow: (venue code, source id, time text, encoded document)
    new_venues: dict[str, tuple[str, str]]  # code → (name, kind) of venues not known yet


def _parse_row(
    fields: tuple[str, ...] | list[str], vault: DocumentVault, latest: dt.datetime
) -> tuple[tuple, str, str]:
    """One file row's CSV_COLUMNS, in their order and stripped, checked: the chunk row,
    the venue's name and kind."""
    if "\x00" in "".join(fields):
        # Rare: find the column to name. A file read as UTF-8 holds no lone surrogate.
        for name, value in zip(CSV_COLUMNS, fields, strict=True):
            storable_text(value, name)
    source_id, code, name, kind, doc_type, number, when = fields
    if not source_id:
        raise fail("source_id", "required", _("Every scan needs its source id."))
    if len(source_id) > 64:
        raise fail("source_id", "too_long", _("A source id has at most 64 characters."))
    if not code or len(code) > 64:
        raise fail("venue_code", "invalid", _("Not a venue code."))
    kind = kind or VenueKind.OTHER
    if kind not in VENUE_KINDS:
        raise fail("venue_kind", "unknown", _("Unknown kind of venue."))
    moment = parse_scan_time(when, latest=latest)
    text = when if plain_time_text(when) else plain_utc(moment)
    return (code, source_id, text, vault.protect(doc_type, number)), name or code, kind


def _header(reader) -> dict[str, int]:
    header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise fail(
            "file",
            "columns",
            _("The file lacks the columns: %(cols)s.") % {"cols": ", ".join(missing)},
        )
    return {c: header.index(c) for c in CSV_COLUMNS}


def import_scans(*, path: str | Path, chunk_size: int = DEFAULT_CHUNK) -> ImportReport:
    """Import a platform's CSV export, streaming: each chunk of rows is one transaction, so
    memory stays flat and a crash loses at most the chunk in flight (run it again: what is
    stored is a duplicate)."""
    path = Path(path)
    report = ImportReport(file=path.name)
    venues = _VenueCache()
    vault = DocumentVault(encode=scan_chunks.document_encoder())
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise fail("file", "unreadable", _("Cannot read the file: %(e)s") % {"e": exc}) from None
    # No cycle collections while a file's rows stream through (`core.collector`).
    with fh, collector.paused(), scan_chunks.committing() as committed:
        reader = csv.reader(fh)
        numbered = enumerate(reader, start=2)
        at: dict[str, int] = {}

        def read_chunk() -> tuple[scan_chunks.Prepared, int, dict] | None:
            lines = list(itertools.islice(numbered, chunk_size))
            if not lines:
                return None
            rows, new_venues = _parse_chunk(lines, at, report, vault, venues.ids)
            return scan_chunks.prepare(rows, venues.ids), len(rows), new_venues

        failure = None
        try:
            at.update(_header(reader))
            parsed = read_chunk()
        except (UnicodeDecodeError, csv.Error) as exc:
            parsed, failure = None, exc
        while parsed is not None:
            prepared, good_rows, new_venues = parsed
            with transaction.atomic():
                report.venues_created += venues.resolve(new_venues)
                with scan_chunks.writing(prepared, venues.ids) as written:
                    # The next chunk is read and encrypted while the database writes this one.
                    try:
                        following = read_chunk()
                    except (UnicodeDecodeError, csv.Error) as exc:
                        following, failure = None, exc
            committed()
            report.imported += written.inserted
            report.duplicates += good_rows - written.inserted
            parsed = following
    if failure is not None:
        # What came before is stored (each chunk is its own transaction): say where it stopped.
        raise fail(
            "file",
            "unreadable",
            _("The file is not UTF-8 CSV after %(rows)s rows: %(e)s")
            % {"rows": report.rows, "e": failure},
        )
    return report


def _parse_chunk(
    chunk, at: dict[str, int], report: ImportReport, vault: DocumentVault, known: dict
) -> _Chunk:
    """The chunk's good rows and the venues they name that are not `known`; the bad rows go
    to the report with their reason.

    A row that plainly passes every check of `_parse_row` is taken on a fast path, inline;
    any other row goes through `_parse_row`, which names the reason. Both give the same
    row for a good one.
    """
    rows, new, latest = [], {}, latest_scan_time()
    cols = tuple(at.values())
    pick, width = operator.itemgetter(*cols), max(cols) + 1
    strip, from_iso, kinds, plain = str.strip, dt.datetime.fromisoformat, VENUE_KINDS, _PLAIN
    protect, append = vault.protect, rows.append
    for line, row in chunk:
        if len(row) < width:
            row = row + [""] * (width - len(row))
        fields = tuple(map(strip, pick(row)))
        if not any(fields) and not any(map(strip, row)):
            continue
        report.rows += 1
        source_id, code, name, kind, doc_type, number, when = fields
        try:
            moment = None
            if (
                0 < len(source_id) <= 64
                and 0 < len(code) <= 64
                and kind in kinds
                and len(when) in plain
                and plain_time_text(when)
                and "\x00" not in "".join(fields)
            ):
                try:  # a plain try costs less than contextlib.suppress on a million rows
                    moment = from_iso(when)
                except ValueError:
                    moment = None
            if moment is None or not EARLIEST_SCAN <= moment <= latest:
                good, name, kind = _parse_row(fields, vault, latest)
            else:
                good = (code, source_id, when, protect(doc_type, number))
            append(good)
            if code not in known and code not in new:
                new[code] = (name or code, kind)
        except RuleViolation as exc:
            report.errors.append({"line": line, "source_id": source_id[:64], **exc.as_dict()})
    return _Chunk(rows, new)


_PLAIN = frozenset((20, 25))  # the lengths of a plain time with `Z` or with an offset


class _VenueCache:
    """Venue ids by code for one import; venues first seen are created in bulk."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._area: str | None = None

    def resolve(self, wanted: dict[str, tuple[str, str]]) -> int:
        """Find or create the venues of `wanted` (code → name, kind); the number created."""
        wanted = {code: v for code, v in wanted.items() if code not in self.ids}
        if not wanted:
            return 0
        self.ids.update(Venue.objects.filter(code__in=wanted).values_list("code", "id"))
        new = [(code, v) for code, v in wanted.items() if code not in self.ids]
        if not new:
            return 0
        if self._area is None:
            self._area = default_venue_area()
        Venue.objects.bulk_create(
            [
                Venue(code=code, name=name[:200], kind=kind, area_code=self._area)
                for code, (name, kind) in new
            ],
            ignore_conflicts=True,  # another import created it meanwhile: use theirs
        )
        self.ids.update(
            Venue.objects.filter(code__in=[code for code, _v in new]).values_list("code", "id")
        )
        return len(new)


# --- retention ---------------------------------------------------------------------------------


PURGE_BATCH = 20_000


def purge_scans(*, now: dt.datetime | None = None) -> PurgeResult:
    """Remove the scans older than the retention period (FANGKONG_SCAN_RETENTION_DAYS).

    Whole days past the cut go at once (a partition dropped, on PostgreSQL); the scans left
    before the cut are deleted in batches, each its own transaction, so a crash loses no more
    than a batch's work and a re-run carries on. The worker runs this every minute or so
    (ops.worker.run_clocks): the remainder before the cut stays a few minutes' scans.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.FANGKONG_SCAN_RETENTION_DAYS)
    with transaction.atomic():
        dropped = scan_store.drop_days_before(cutoff)
    deleted = 0
    while True:
        with transaction.atomic():
            batch = scan_store.delete_before(cutoff, limit=PURGE_BATCH)
        deleted += batch
        if batch < PURGE_BATCH:
            return PurgeResult(dropped, deleted)
