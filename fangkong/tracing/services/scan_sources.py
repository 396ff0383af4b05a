"""The imported scans' source ids, forgotten with their scans.

On PostgreSQL each stored scan's `source_id` is also kept in one table beside the day
partitions (no personal data: the platform's id and the scan's time), so a file's ids are
checked against one index, not one per day. Its rows go when their scans have gone: the
scheduled purge calls `purge_scan_sources` after `purge_scans`, apart from the drop of the
day partitions, which it does not slow down.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import scan_store


def purge_scan_sources(*, now: dt.datetime | None = None) -> int:
    """Forget the source ids of scans older than the retention period; the number forgotten.

    A scan exported again after that is imported again, as its scan was purged."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.FANGKONG_SCAN_RETENTION_DAYS)
    with transaction.atomic():
        return scan_store.purge_source_ids_before(cutoff)
