"""Resident lookup by ID number through the blind index, against a primary-key lookup."""

from __future__ import annotations

import random
import time

from bench.common import percentile


def bench_lookup(samples: int = 2000, seed: int = 7) -> dict:
    from fangkong.core import crypto
    from fangkong.people.models import Resident
    from fangkong.people.services import DOCUMENT_CONTEXT, find_resident_by_document

    total = Resident.objects.count()
    rng = random.Random(seed)
    max_id = Resident.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ids = [rng.randint(1, max_id) for _ in range(samples * 2)]
    rows = list(
        Resident.objects.filter(id__in=ids, document_index__isnull=False).values_list(
            "id", "document_type", "document_cipher"
        )[:samples]
    )
    # Decrypt outside the timed loop: the benchmark measures finding, not decrypting.
    wanted = [
        (pk, kind, crypto.decrypt(cipher, context=DOCUMENT_CONTEXT)) for pk, kind, cipher in rows
    ]
    by_index, by_pk = [], []
    for pk, kind, number in wanted:
        t = time.perf_counter()
        found = find_resident_by_document(kind, number)
        by_index.append((time.perf_counter() - t) * 1e6)
        assert found is not None and found.pk == pk
        t = time.perf_counter()
        Resident.objects.filter(pk=pk).first()
        by_pk.append((time.perf_counter() - t) * 1e6)
    return {
        "residents": total,
        "lookups": len(wanted),
        "index_p50_us": percentile(by_index, 50),
        "index_p99_us": percentile(by_index, 99),
        "pk_p50_us": percentile(by_pk, 50),
        "pk_p99_us": percentile(by_pk, 99),
    }
