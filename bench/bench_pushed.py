"""A pushed list (协查) of 10,000 rows, uploaded as the command centre does it: the file posted
to the pushed-lists page, each row matched to the registry by document or phone through the
blind indexes and dispatched to its grid as a verification task due the same day; then the
list's progress page. Once as CSV, once as Excel.

The registry is the demo district of N residents (the task's size). The list is what another
city or the police sends: most rows name a resident by ID number (some with a lower-case x,
some with no document type), some only by phone, some name nobody here, a few carry an ID
number that fails its checksum.

Baseline: the same rows written raw, in the same run, into the same two tables (pushed rows
and tasks), csv module reading and one executemany each, no validation, no crypto, no match.
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from pathlib import Path

ROWS = 10_000
HEADER = ("name", "document_type", "document_number", "phone")


def _registry_sample(count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(name, ID number, phone) of `count` residents, decrypted before any clock starts."""
    from fangkong.core import crypto
    from fangkong.people.models import Resident
    from fangkong.people.services import DOCUMENT_CONTEXT, PHONE_CONTEXT

    ids = list(Resident.objects.filter(document_index__isnull=False).values_list("id", flat=True))
    chosen = rng.sample(ids, min(count, len(ids)))
    people = []
    for start in range(0, len(chosen), 5000):
        for name, doc, phone in Resident.objects.filter(
            id__in=chosen[start : start + 5000]
        ).values_list("name", "document_cipher", "phone_cipher"):
            clear_phone = crypto.decrypt(phone, context=PHONE_CONTEXT) if phone else ""
            people.append((name, crypto.decrypt(doc, context=DOCUMENT_CONTEXT), clear_phone))
    return people


def _outsider(seq: int) -> str:
    """A valid ID number of someone born and registered in Nanjing (320102)."""
    from fangkong.core.documents import check_character

    body = f"32010219{70 + seq % 30:02d}0{1 + seq % 9}{10 + seq % 18:02d}{seq % 1000:03d}"
    return body + check_character(body)


def pushed_rows(rows: int, *, seed: int = 613) -> tuple[list[tuple[str, ...]], dict]:
    """The list's rows and how many of them should match (by document, by phone, nobody)."""
    rng = random.Random(seed)
    people = _registry_sample(rows, rng)
    out: list[tuple[str, ...]] = []
    expected = {"by_document": 0, "by_phone": 0, "nobody": 0, "bad": 0}
    for i in range(rows):
        name, document, phone = people[i % len(people)]
        roll = i % 20
        if roll < 11:  # 55 %: by ID number, as typed elsewhere
            kind = "" if roll == 0 else "resident_id"
            out.append((name, kind, document.lower() if roll == 1 else document, phone))
            expected["by_document"] += 1
        elif roll < 15 and phone:  # 20 %: only a name and a phone, spaced as read aloud
            out.append((name, "", "", f"{phone[:3]} {phone[3:7]} {phone[7:]}"))
            expected["by_phone"] += 1
        elif roll < 19:  # 20 % (and residents without a phone): nobody in the district
            # A Nanjing landline: no resident's phone (all mobiles) is one.
            out.append((f"外地{i}", "resident_id", _outsider(i), f"025{i:08d}"))
            expected["nobody"] += 1
        else:  # 5 %: an ID number whose check character is wrong
            out.append((f"错号{i}", "resident_id", document[:17] + "Y", ""))
            expected["bad"] += 1
    return out, expected


def _write(path: Path, rows: list[tuple[str, ...]]) -> None:
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(HEADER)
        for row in rows:
            sheet.append(row)
        book.save(path)
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        out.writerows(rows)


def raw_write(path: Path, *, area_code: str) -> float:
    """Seconds to write the file's rows raw into pushed rows and tasks (then removed)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from fangkong.tracing.models_pushed import PushedList
    from fangkong.work.models import Task

    now = timezone.now()
    pushed = PushedList.objects.create(
        name="raw", area_code=area_code, received_at=now, deadline=now
    )
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as fh, transaction.atomic():
        reader = csv.reader(fh)
        next(reader)
        lines = [(line, r) for line, r in enumerate(reader, start=2)]
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO tracing_pushedrow (created_at, updated_at, pushed_list_id, line, "
                "person_name, document_type, document_index, document_masked, phone_index, "
                "phone_masked, area_code, outcome, note) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', '')",
                [
                    (
                        now,
                        now,
                        pushed.pk,
                        line,
                        r[0],
                        r[1],
                        r[2],
                        r[2][:6],
                        r[3],
                        r[3][:3],
                        area_code,
                    )
                    for line, r in lines
                ],
            )
            cursor.executemany(
                "INSERT INTO command_task (created_at, updated_at, key, kind, title, detail, "
                "area_code, due_at, state) VALUES (%s, %s, %s, 'verification', %s, '{}', %s, %s, "
                "'open')",
                [(now, now, f"raw:{line}", r[0], area_code, now) for line, r in lines],
            )
    seconds = time.perf_counter() - started
    Task.objects.filter(key__startswith="raw:").delete()
    pushed.delete()
    return seconds


def bench_pushed(*, residents: int, rows: int = ROWS) -> dict:
    from django.db import connection
    from django.test import Client, override_settings

    from fangkong.accounts.models import Role, User
    from fangkong.demo.seed import seed_demo
    from fangkong.tracing.models_pushed import PushedList, PushedRow
    from fangkong.work.models import Task

    seed_demo(residents=residents, seed=613, progress=False, replace=True)
    user = User.objects.create(
        username="bench-pushed", role=Role.DISTRICT_COMMANDER, scope_code="410172"
    )
    client = Client()
    client.force_login(user)
    lines, expected = pushed_rows(rows)
    out: dict = {"pushed_rows": rows, "pushed_residents": residents, **expected}
    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    # As in production: no query log kept (DEBUG is on outside production settings).
    with (
        tempfile.TemporaryDirectory(prefix="fangkong-pushed-") as tmp,
        override_settings(DEBUG=False),
    ):
        for suffix in ("csv", "xlsx"):
            path = Path(tmp) / f"协查.{suffix}"
            _write(path, lines)
            if suffix == "csv":
                out["pushed_raw_s"] = raw_write(path, area_code=user.scope_code)
            queries[0] = 0
            with path.open("rb") as fh, connection.execute_wrapper(count):
                started, cpu = time.perf_counter(), time.process_time()
                answer = client.post("/tracing/pushed/", {"name": path.name, "file": fh})
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            assert answer.status_code == 302, answer.status_code
            pushed = PushedList.objects.order_by("-id").first()
            matched = PushedRow.objects.filter(pushed_list=pushed, resident__isnull=False).count()
            tasks = Task.objects.filter(key__startswith=f"pushed:{pushed.pk}:").count()
            assert tasks == rows, (tasks, rows)
            # Rows named by an outsider's ID and a phone nobody has match nobody; the rest do.
            assert matched == expected["by_document"] + expected["by_phone"], matched
            started = time.perf_counter()
            page = client.get(answer.url)
            page_s = time.perf_counter() - started
            assert page.status_code == 200
            out[f"pushed_{suffix}_s"] = seconds
            # The process's own CPU time: on a shared machine, the wall time's floor.
            out[f"pushed_{suffix}_cpu_s"] = cpu
            out[f"pushed_{suffix}_queries"] = queries[0]
            out[f"pushed_{suffix}_progress_page_ms"] = page_s * 1000
    out["pushed_matched"] = matched
    return out
