"""Pushed lists (协查): matched by document or phone through the blind indexes, dispatched to
the grids as verification tasks due the same day, closed with an outcome."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from fangkong.accounts.models import Role
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.tracing.models_cases import Case
from fangkong.tracing.models_pushed import PushedRow
from fangkong.tracing.selectors import pushed_progress, pushed_rows
from fangkong.tracing.services.case_sources import open_case_from_row
from fangkong.tracing.services.pushed import close_row, import_pushed_list
from fangkong.work.models import Task

from .conftest import G111, D


@pytest.fixture
def pushed_file(tmp_path, resident_documents, id_number):
    rows = [
        ("name", "document_type", "document_number", "phone"),
        ("张伟", "resident_id", resident_documents["张伟"].lower(), ""),  # by document
        ("陈静", "", "", "136 0000 2222"),  # by phone only
        ("外地人", "resident_id", id_number("320102", "19800101", 77), "13999999999"),
        ("坏号码", "resident_id", "12345", ""),
    ]
    path = tmp_path / "push.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_rows_are_matched_and_dispatched_to_their_grids(commander, residents, pushed_file):
    pushed = import_pushed_list(
        user=commander, path=pushed_file, name="南京协查 0613", source="公安"
    )
    rows = {r.person_name: r for r in PushedRow.objects.filter(pushed_list=pushed)}
    assert rows["张伟"].resident.name == "张伟" and rows["张伟"].area_code == G111
    assert rows["陈静"].resident.name == "陈静"
    assert rows["外地人"].resident is None and rows["外地人"].area_code == D
    assert rows["坏号码"].note and rows["坏号码"].document_index == ""
    tasks = Task.objects.filter(kind="verification")
    assert tasks.count() == 4 and {t.due_at for t in tasks} == {pushed.deadline}
    deadline = timezone.localtime(pushed.deadline)
    assert deadline.date() == timezone.localdate(pushed.received_at)
    assert deadline.time() == dt.time(23, 59, 59)


def test_a_row_is_closed_with_an_outcome_in_its_grid(
    commander, grid_worker, residents, pushed_file
):
    pushed = import_pushed_list(user=commander, path=pushed_file, name="协查")
    row = PushedRow.objects.get(pushed_list=pushed, person_name="张伟")
    close_row(user=grid_worker, row=row, outcome="controlled", note="已居家隔离")
    assert Task.objects.get(key=f"pushed:{pushed.pk}:{row.line}").state == "done"
    outsider = PushedRow.objects.get(pushed_list=pushed, person_name="外地人")
    with pytest.raises(RuleViolation):  # at the district, outside the grid worker's grid
        close_row(user=grid_worker, row=outsider, outcome="not_in_district")
    progress = pushed_progress(commander, pushed)
    counts = {value: n for value, _label, n in progress["by_outcome"]}
    assert (progress["total"], progress["matched"], counts["controlled"], counts["pending"]) == (
        4,
        2,
        1,
        3,
    )


def test_an_excel_list_is_read_too(commander, residents, tmp_path, resident_documents):
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "document_number", "phone"])
    sheet.append(["王芳", resident_documents["王芳"], None])
    path = tmp_path / "push.xlsx"
    book.save(path)
    pushed = import_pushed_list(user=commander, path=path, name="xlsx")
    assert PushedRow.objects.get(pushed_list=pushed).resident.name == "王芳"


def test_the_pages_import_a_list_and_show_its_progress(client, commander, residents, pushed_file):
    client.force_login(commander)
    with pushed_file.open("rb") as fh:
        answer = client.post("/tracing/pushed/", {"name": "协查", "source": "公安", "file": fh})
    assert answer.status_code == 302
    page = client.get(answer.url).content.decode()
    assert page.count('data-testid="row"') == 4 and 'data-testid="outcome-pending">4<' in page


def test_a_lists_rows_are_read_only_by_people_who_may_read_tracing(
    commander, make_user, residents, pushed_file
):
    """The rows' selector checks the reader itself (it used to trust its caller)."""
    pushed = import_pushed_list(user=commander, path=pushed_file, name="协查")
    sampler = make_user(Role.SAMPLER, D)
    with pytest.raises(PermissionDeniedError):
        pushed_rows(sampler, pushed)
    assert pushed_rows(commander, pushed).count() == 4


def test_a_list_of_positives_opens_cases_from_its_rows(commander, residents, pushed_file):
    pushed = import_pushed_list(user=commander, path=pushed_file, name="外市阳性名单")
    rows = {r.person_name: r for r in PushedRow.objects.filter(pushed_list=pushed)}
    day = timezone.localdate()
    known = open_case_from_row(
        user=commander, row=rows["张伟"], kind="asymptomatic", sampling_date=day
    )
    assert (known.source, known.resident.name, known.area_code) == ("pushed", "张伟", G111)
    visitor = open_case_from_row(
        user=commander, row=rows["外地人"], kind="confirmed", onset_date=day
    )
    assert visitor.resident is None and visitor.area_code == D
    assert visitor.document_index == rows["外地人"].document_index
    with pytest.raises(RuleViolation) as caught:
        open_case_from_row(user=commander, row=rows["坏号码"], kind="confirmed", onset_date=day)
    assert caught.value.code == "unidentified"


def test_a_row_opens_its_case_from_the_list_page(client, commander, residents, pushed_file):
    pushed = import_pushed_list(user=commander, path=pushed_file, name="外市阳性名单")
    row = PushedRow.objects.get(pushed_list=pushed, person_name="陈静")
    client.force_login(commander)
    page = client.get(reverse("tracing:pushed", args=[pushed.pk]))
    assert reverse("tracing:pushed_case", args=[pushed.pk, row.pk]) in page.content.decode()
    answer = client.post(
        reverse("tracing:pushed_case", args=[pushed.pk, row.pk]),
        {"kind": "asymptomatic", "sampling_date": "2022-06-13"},
    )
    case = Case.objects.get()
    assert answer.url == reverse("tracing:case", args=[case.pk])
    assert (case.resident.name, case.sampling_date) == ("陈静", dt.date(2022, 6, 13))


def test_pushed_lists_and_their_rows_page_by_page_keeping_the_outcome(
    client, commander, residents, pushed_file, monkeypatch
):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    for n in range(3):
        pushed = import_pushed_list(
            user=commander, path=pushed_file, name=f"协查{n}", source="公安"
        )
    client.force_login(commander)
    lists = client.get("/tracing/pushed/").content.decode()
    assert lists.count('data-testid="pushed-list"') == 2 and 'href="?page=2"' in lists
    lists = client.get("/tracing/pushed/", {"page": 2}).content.decode()
    assert lists.count('data-testid="pushed-list"') == 1
    url = f"/tracing/pushed/{pushed.pk}/"
    first = client.get(url, {"outcome": "pending"}).content.decode()
    assert first.count('data-testid="row"') == 2
    # Areas by their names: 张伟's grid, and the district for the people not found in it.
    assert "<li>瓦屋李社区第一网格 1</li>" in first and "<li>高新区 " in first
    assert f"<code>{G111}</code>" not in first
    assert 'href="?outcome=pending&amp;page=2"' in first
    second = client.get(url, {"outcome": "pending", "page": 2}).content.decode()
    assert second.count('data-testid="row"') == 2  # the list's 4 pending rows: 2 and 2
    assert 'href="?outcome=pending&amp;page=1"' in second
