"""The rules a real community ledger needs, one at a time: conflicts held for review (and the
review page), every column used or reported, partial birth dates, CSV files, the source's row
numbers through a corrected re-upload, and the 15-digit search."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from devtools.fixtures import C21, G111
from fangkong.accounts.models import Role
from fangkong.core.documents import check_character
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.people.importing import import_residents
from fangkong.people.models import ConflictState, ImportConflict, Resident
from fangkong.people.selectors import ResidentFilter, list_residents
from fangkong.people.services import find_resident_by_document

from .test_import import HEADERS, person, roster

HOME = {"compound": "瓦屋李新居", "building": "1号楼", "entrance": "1", "room": "101"}


def _outcome(result) -> tuple:
    return (
        result.counts(),
        sorted((e.row, e.field, e.code) for e in result.errors),
        sorted((n.row, n.field, n.code) for n in result.notes),
    )


@pytest.fixture
def renamed(commander, residents, resident_documents):
    """A roster naming 王芳's ID number as 王小芳, at another address and phone."""
    rows = [
        person(
            name="王小芳",
            document_number=resident_documents["王芳"],
            compound="瓦屋李新居",
            building="2号楼",
            entrance="2",
            room="302",
            phone="13700000009",
        )
    ]
    return import_residents(workbook_file=roster(rows), user=commander), residents[1]


def test_an_id_stored_under_another_name_is_held_for_review_not_overwritten(renamed):
    result, wang = renamed
    before = (wang.name, wang.household_id, wang.phone_cipher, wang.updated_at)

    assert (result.created, result.updated, result.conflicts, result.rejected) == (0, 0, 1, 0)
    assert [(n.row, n.code) for n in result.notes] == [(3, "name_conflict")]
    wang.refresh_from_db()
    assert (wang.name, wang.household_id, wang.phone_cipher, wang.updated_at) == before
    conflict = ImportConflict.objects.get()
    assert (conflict.name, conflict.source_row, conflict.state) == ("王小芳", 3, "open")
    assert conflict.phone_masked == "137****0009" and "13700000009" not in conflict.phone_cipher


def test_review_page_lists_the_conflict_and_taking_the_files_details_applies_them(
    client, commander, renamed
):
    _result, wang = renamed
    client.force_login(commander)
    page = client.get(reverse("people:import")).content.decode()
    assert reverse("people:import_conflicts") in page  # reachable from the import page
    review = client.get(reverse("people:import_conflicts")).content.decode()
    assert "王小芳" in review and "王芳" in review and "137****0009" in review
    conflict = ImportConflict.objects.get()

    response = client.post(
        reverse("people:decide_import_conflict", args=[conflict.pk]), {"decision": "apply"}
    )

    assert response.status_code == 302
    wang.refresh_from_db()
    assert (wang.name, wang.household.code, wang.phone_masked) == (
        "王小芳",
        f"{G111}-002-2302",
        "137****0009",
    )
    conflict.refresh_from_db()
    assert (conflict.state, conflict.decided_by) == (ConflictState.APPLIED, commander)
    entry = AuditEntry.objects.get(object_type="import_conflict")
    assert entry.detail == {"resident": wang.pk, "decision": "applied"}
    again = client.post(
        reverse("people:decide_import_conflict", args=[conflict.pk]), {"decision": "keep"}
    )
    assert again.status_code == 302
    conflict.refresh_from_db()
    assert conflict.state == ConflictState.APPLIED  # decided once


def test_keeping_the_stored_details_changes_nothing(client, commander, renamed):
    _result, wang = renamed
    client.force_login(commander)
    conflict = ImportConflict.objects.get()
    client.post(reverse("people:decide_import_conflict", args=[conflict.pk]), {"decision": "keep"})
    wang.refresh_from_db()
    assert wang.name == "王芳"
    conflict.refresh_from_db()
    assert conflict.state == ConflictState.KEPT
    review = client.get(reverse("people:import_conflicts")).content.decode()
    assert "王小芳" not in review


def test_staff_of_another_area_cannot_see_or_decide_the_conflict(client, make_user, renamed):
    other = make_user(Role.COMMUNITY_STAFF, C21)
    client.force_login(other)
    assert "王小芳" not in client.get(reverse("people:import_conflicts")).content.decode()
    conflict = ImportConflict.objects.get()
    response = client.post(
        reverse("people:decide_import_conflict", args=[conflict.pk]), {"decision": "apply"}
    )
    assert response.status_code == 403
    assert AuditEntry.objects.filter(
        action=AuditAction.PERMISSION_DENIED, object_type="import_conflict"
    ).exists()
    conflict.refresh_from_db()
    assert conflict.state == ConflictState.OPEN


def test_every_column_is_read_or_reported_and_the_better_named_duplicate_wins(commander, id_number):
    headers = ["手机号", "姓名", "身份证号码", "小区", "楼栋", "单元", "房号", "联系电话"]
    headers += ["人员类别", "年龄", "所属网格"]
    doc = id_number("410172", "19500101", 7)
    row = ["13900000001", "独居者", doc, "瓦屋李新居", "1栋", "1", "101", "13800000002"]
    row += ["独居老人、残疾", "76", "第一网格", "stray"]

    result = import_residents(workbook_file=roster([row], headers=headers), user=commander)

    assert result.created == 1
    assert [(c.label, c.code, c.field, c.read) for c in result.columns_not_read] == [
        ("年龄", "unknown", "", ""),
        ("所属网格", "not_used", "grid", ""),
        ("手机号", "duplicate", "phone", "联系电话"),
        ("L", "no_header", "", ""),  # a cell right of the last header
    ]
    stored = find_resident_by_document("resident_id", doc)
    assert stored.phone_masked == "138****0002"  # 联系电话, wherever it stands
    assert {t.tag for t in stored.tags.all()} == {"elderly_alone", "disabled"}
    assert stored.residency == "registered"  # 人员类别 held special groups, not a residency


@pytest.mark.parametrize(
    ("birth", "document", "outcome"),
    [
        ("1990.03", "id", ("imported", None)),
        (1990.03, "id", ("imported", None)),  # typed into a General cell: a number
        ("1990年3月", "id", ("imported", None)),
        ("1990.04", "id", ("rejected", "mismatch")),
        ("1990.03", "passport", ("imported", "partial_birth_date")),
    ],
)
def test_a_birth_date_without_its_day_is_not_a_reason_to_refuse(
    commander, id_number, birth, document, outcome
):
    number = id_number("410172", "19900315", 9) if document == "id" else "E99887766"
    rows = [
        person(
            name="甲",
            document_type="护照" if document == "passport" else None,
            document_number=number,
            birth_date=birth,
            **HOME,
        )
    ]
    result = import_residents(workbook_file=roster(rows), user=commander)
    if outcome[0] == "imported":
        assert (result.created, result.rejected) == (1, 0)
        assert [n.code for n in result.notes] == ([outcome[1]] if outcome[1] else [])
    else:
        assert [e.code for e in result.errors] == [outcome[1]]


def test_sex_disagreeing_with_the_id_and_15_digit_numbers_are_counted_and_noted(commander):
    body = "410102" + "19850315" + "123"  # an odd sequence: a man
    old = "410102850315123"
    rows = [
        person(name="男甲", document_number=body + check_character(body), sex="女", **HOME),
        person(name="旧证", document_number=old.replace("123", "124"), sex="女", **HOME),
    ]
    result = import_residents(workbook_file=roster(rows), user=commander)
    assert (result.created, result.sex_mismatch, result.converted) == (2, 1, 1)
    assert [(n.row, n.code) for n in result.notes] == [
        (3, "sex_mismatch"),
        (4, "converted_from_15"),
    ]
    assert find_resident_by_document("resident_id", body + check_character(body)).sex == "M"


def _ledger_rows(id_number):
    return [
        person(name="甲", document_number=id_number("410172", "19800101", 1), **HOME),
        person(name="乙", document_number="12345", sex="未知", **{**HOME, "building": "9号楼"}),
        person(name="丙", document_number=id_number("410172", "19800101", 3), **HOME),
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_in_utf8_or_gbk_imports_like_the_workbook(make_user, id_number, encoding):
    rows = _ledger_rows(id_number)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["瓦屋李社区居民花名册"])
    writer.writerow(HEADERS)
    writer.writerows(rows)
    csv_file = io.BytesIO(text.getvalue().encode(encoding))

    from_csv = import_residents(workbook_file=csv_file, user=make_user())
    assert from_csv.created == 2
    # The same rows as a workbook, into a fresh registry, report the same.
    Resident.objects.all().delete()
    from_xlsx = import_residents(workbook_file=roster(rows), user=make_user())
    assert _outcome(from_csv) == _outcome(from_xlsx)
    assert {e.code for e in from_csv.errors} == {"length", "choice", "unknown"}


def test_a_corrected_error_workbook_reports_the_source_row_numbers(commander, id_number):
    rows = _ledger_rows(id_number)
    first = import_residents(workbook_file=roster(rows), user=commander)
    assert {e.row for e in first.errors} == {4}
    workbook = load_workbook(io.BytesIO(first.error_workbook))
    sheet = workbook.active
    sheet.cell(row=2, column=HEADERS.index("性别") + 1).value = "男"  # fixes one reason of two
    buffer = io.BytesIO()
    workbook.save(buffer)

    again = import_residents(workbook_file=buffer, user=commander)

    assert {e.row for e in again.errors} == {4}  # the ledger's row, not the error workbook's 2
    assert [e.code for e in again.errors] == ["length", "unknown"]


def test_search_by_the_15_digit_number_finds_the_converted_person(commander):
    old = "410102850315124"
    rows = [person(name="旧证", document_number=old, **HOME)]
    import_residents(workbook_file=roster(rows), user=commander)
    found = list_residents(user=commander, filters=ResidentFilter(q=old))
    assert [r.name for r in found] == ["旧证"]
    assert found[0].document_converted


def test_import_page_takes_a_csv_and_shows_the_whole_summary(client, commander, id_number):
    headers = [*HEADERS, "民族"]
    old = "410102850315124"
    rows = [
        [*person(name="旧证", document_number=old, sex="男", **HOME), "汉族"],  # a woman's number
        [*person(name="坏行", document_number="123", **{**HOME, "building": "9号楼"}), "汉族"],
    ]
    text = io.StringIO()
    csv.writer(text).writerows([headers, *rows])
    upload = io.BytesIO(text.getvalue().encode("gbk"))
    upload.name = "台账.csv"
    client.force_login(commander)

    page = client.post(reverse("people:import"), {"workbook": upload}).content.decode()

    for shown in (
        'data-testid="count-converted">1<',
        'data-testid="count-sex-mismatch">1<',
        'data-testid="count-columns-not-read">1<',
        "民族",
        "15 位身份证号，已升为 18 位",
        "现有楼栋：1号楼、2号楼",
    ):
        assert shown in page
    assert page.count('<td class="num">3</td>') == 2  # both notes of row 3, one row number
