"""Importing residents from Excel rosters as communities keep them, messy parts included."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import Workbook, load_workbook

from devtools.fixtures import C11, G111, G112, G211
from fangkong.accounts.models import Role
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.geo.models import Household
from fangkong.people import excel, excel_cells, excel_columns, excel_write
from fangkong.people.importing import import_residents
from fangkong.people.models import Resident
from fangkong.people.services import find_resident_by_document

HEADERS = [
    "序号",
    "姓名",
    "证件类型",
    "证件号码",
    "性别",
    "小区",
    "楼栋",
    "单元",
    "房号",
    "联系电话",
    "人员类别",
    "出生日期",
    "特殊人群",
]


def roster(rows, *, headers=HEADERS, title="瓦屋李社区居民花名册", before=(), after=()):
    """An .xlsx as staff make it: a merged title row, extra rows, then headers and data."""
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    for row in before:
        sheet.append(list(row))
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for row in after:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def person(headers=HEADERS, **values):
    """One data row in the order of `headers`, from field-named values."""
    field_of = {h: excel_columns.field_for_header(h) for h in headers}
    return [values.get(field_of[h]) for h in headers]


@pytest.fixture
def community_staff(make_user):
    return make_user(Role.COMMUNITY_STAFF, C11)


@pytest.fixture
def messy(id_number):
    """A roster with every kind of row a community sends; returns (file, ids by name)."""
    ids = {
        "赵一": id_number("410172", "19800101", 11),
        "钱二": id_number("410102", "19900202", 22),
        "孙三": id_number("410172", "19850315", 32),
        "李四": id_number("410105", "19700412", 41),
        "周五": id_number("410172", "20200520", 52),
        "郑七": id_number("410172", "19660606", 61),
        "冯九": id_number("410172", "19770707", 71),
        "陈十": id_number("410172", "19880808", 81),
        "褚十一": id_number("410172", "19550505", 91),
        "卫十二": id_number("410172", "19900101", 13),
        "沈十四": id_number("410172", "19600101", 15),
    }
    bad_check = ids["郑七"][:-1] + ("0" if ids["郑七"][-1] != "0" else "1")
    home = {"compound": "瓦屋李新居", "building": "1号楼", "entrance": "1", "room": "101"}
    rows = [
        person(
            seq=1,
            name="赵一",
            document_number=ids["赵一"],
            sex="男",
            **home,
            phone="13800000001",
            residency="户籍",
            birth_date=dt.datetime(1980, 1, 1),
            tags="独居老人",
        ),
        person(
            seq=2,
            name="钱二",
            document_number=ids["钱二"],
            compound="瓦屋李新居",
            building="2",
            entrance="2单元",
            room=102,
            phone=13800000002,
            residency="流动",
            birth_date="1990-02-02",
            tags="外出就医、残疾",
        ),
        [None] * len(HEADERS),
        person(
            seq=3,
            name="孙三",
            document_number=ids["孙三"],
            compound="瓦屋李新居",
            building="1号楼",
            entrance=1,
            room="401",  # the building exists, the household does not yet
            birth_date="1985/3/15",
            tags="孕妇",
        ),
        person(
            seq=4,
            name="李四",
            document_number=" " + ids["李四"][:6] + " " + ids["李四"][6:],
            compound="瓦屋李新居",
            building="1#",
            entrance="一单元",
            room="102室",
            residency="常住",
            birth_date="1970年4月12日",
        ),
        person(
            seq=5,
            name="周五",
            document_number=ids["周五"],
            building="1号楼",  # no compound: the loose 1号楼 of grid 112, the only one in scope
            entrance="1",
            room="101",
            birth_date=20200520,
            tags="婴幼儿",
        ),
        person(seq=6, name="吴六", document_number=4.10172199001011e17, **home),
        person(seq=7, name="郑七", document_number=bad_check, **home),
        person(seq=8, name="王八", document_number=ids["赵一"], **home),
        person(seq=9, name="冯九", document_number=ids["冯九"], **{**home, "compound": "幸福小区"}),
        person(seq=10, name="陈十", document_number=ids["陈十"], **{**home, "building": "9号楼"}),
        person(
            seq=11,
            name="褚十一",
            document_number=ids["褚十一"],
            compound="大里村",
            building="1号楼",
            entrance="1",
            room="101",
        ),
        person(
            seq=12, name="卫十二", document_number=ids["卫十二"], birth_date="1990-13-01", **home
        ),
        person(
            seq=13,
            name="蒋十三",
            document_type="护照",
            document_number="E12345678",
            sex="男",
            birth_date="19880808",
            **home,
        ),
        person(seq=14, name="沈十四", document_number=ids["沈十四"], tags="低保户", **home),
    ]
    after = [
        ["合计", None, None, None, None, None, None, None, None, None, "14人"],
        ["填表人：王五"],
    ]
    return roster(rows, before=[[None]], after=after), ids


def test_messy_roster_imports_valid_rows_and_explains_every_rejected_one(community_staff, messy):
    file, ids = messy
    with translation.override("en"):  # the assertions below read the English messages
        result = import_residents(workbook_file=file, user=community_staff)

    assert result.counts() == {
        "read": 14,
        "created": 6,
        "updated": 0,
        "unchanged": 0,
        "rejected": 8,
        "skipped": 2,  # the totals row and the signature note
        "households_created": 1,
        "conflicts": 0,
        "converted": 0,
        "sex_mismatch": 0,
        "partial_birth_date": 0,
    }
    by_row = {e.row: e for e in result.errors}
    # Title in row 1, a blank row 2, headers in row 3: the first person is row 4.
    assert {row: (e.column, e.code) for row, e in by_row.items()} == {
        10: ("证件号码", "excel_number"),
        11: ("证件号码", "check_digit"),
        12: ("证件号码", "duplicate_in_file"),
        13: ("小区", "unknown"),
        14: ("楼栋", "unknown"),
        15: ("小区/楼栋/单元/房号", "out_of_scope"),
        16: ("出生日期", "date_format"),
        18: ("特殊人群", "choice"),
    }
    assert "Excel" in by_row[10].message  # the validator's own explanation
    assert "4" in by_row[12].message  # names the row it duplicates
    assert "低保户" in by_row[18].message

    zhao = find_resident_by_document("resident_id", ids["赵一"])
    assert zhao.household.code == f"{G111}-001-1101"
    assert zhao.birth_date == dt.date(1980, 1, 1)
    assert zhao.phone_masked == "138****0001"
    assert {t.tag for t in zhao.tags.all()} == {"elderly_alone"}
    qian = find_resident_by_document("resident_id", ids["钱二"])
    assert qian.household.code == f"{G111}-002-2102"
    assert qian.residency == "floating"
    assert {t.tag for t in qian.tags.all()} == {"medical_trips", "disabled"}
    sun = find_resident_by_document("resident_id", ids["孙三"])
    assert sun.household.code == f"{G111}-001-1401"
    assert sun.household.area_code == G111
    li = find_resident_by_document("resident_id", ids["李四"])
    assert (li.household.code, li.birth_date) == (f"{G111}-001-1102", dt.date(1970, 4, 12))
    zhou = find_resident_by_document("resident_id", ids["周五"])
    assert zhou.household.code == f"{G112}-001-1101"
    assert zhou.area_code == G112
    jiang = find_resident_by_document("passport", "E12345678")
    assert (jiang.sex, jiang.birth_date) == ("M", dt.date(1988, 8, 8))


def test_reimporting_the_same_file_changes_nothing(community_staff, messy):
    file, _ids = messy
    first = import_residents(workbook_file=file, user=community_staff)
    residents, households = Resident.objects.count(), Household.objects.count()

    again = import_residents(workbook_file=file, user=community_staff)

    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    assert again.rejected == first.rejected
    assert again.households_created == 0
    assert (Resident.objects.count(), Household.objects.count()) == (residents, households)


def test_small_batches_give_the_same_result(community_staff, messy):
    file, _ids = messy
    result = import_residents(workbook_file=file, user=community_staff, batch_size=3)
    assert (result.read, result.created, result.rejected) == (14, 6, 8)
    assert [e.code for e in result.errors if e.row == 12] == ["duplicate_in_file"]


def test_error_workbook_echoes_rejected_rows_with_a_reason_column(community_staff, messy):
    file, _ids = messy
    with translation.override("en"):
        result = import_residents(workbook_file=file, user=community_staff)

    sheet = load_workbook(io.BytesIO(result.error_workbook)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [*HEADERS, "原行号", "错误原因"]
    assert len(rows) == 1 + result.rejected
    excel_row = rows[1]
    assert excel_row[1] == "吴六"
    # The user's own cell, written back as text: a fixed copy cannot turn it into a number.
    assert excel_row[3] == "410172199001011008"
    assert sheet.cell(row=2, column=4).data_type == "s"
    assert sheet.cell(row=2, column=4).number_format == "@"
    assert excel_row[-2] == 10  # the row's number in the source file
    assert excel_row[-1].startswith("证件号码: ")


def test_error_workbook_can_be_fixed_and_uploaded_again(community_staff, messy, id_number):
    file, _ids = messy
    first = import_residents(workbook_file=file, user=community_staff)
    workbook = load_workbook(io.BytesIO(first.error_workbook))
    sheet = workbook.active
    sheet.cell(row=2, column=4).value = id_number("410172", "19810101", 66)  # fix 吴六
    assert sheet.cell(row=4, column=2).value == "王八"
    sheet.delete_rows(4)  # the duplicate of 赵一: its reason says so, the user deletes it
    buffer = io.BytesIO()
    workbook.save(buffer)

    again = import_residents(workbook_file=buffer, user=community_staff)

    assert (again.created, again.updated, again.rejected) == (1, 0, first.rejected - 2)
    reasons = load_workbook(io.BytesIO(again.error_workbook)).active[1]
    assert [c.value for c in reasons].count("错误原因") == 1


def test_existing_residents_are_updated_only_where_the_file_differs(
    commander, residents, id_number
):
    zhang, wang, li = residents[0], residents[1], residents[2]
    rows = [
        person(
            name="张伟",
            document_number=id_number("410172", "19900101", 11),
            compound="瓦屋李新居",
            building="2号楼",
            entrance="2",
            room="302",
            phone="13811112222",
            tags="独居老人",
        ),
        person(
            name="王芳",
            document_number=id_number("410102", "19450302", 22),
            compound="瓦屋李新居",
            building="1号楼",
            entrance="1",
            room="102",
            phone="13912345678",
            residency="户籍",
            tags="独居老人",
        ),
        # A blank phone or residency cell means "not known here", not "erase it".
        person(
            name="李娜",
            document_number=id_number("410105", "20230115", 24),
            compound="瓦屋李新居",
            building="1号楼",
            entrance="1",
            room="101",
        ),
    ]
    before = {r.pk: (r.updated_at, r.phone_cipher) for r in (wang, li)}

    result = import_residents(workbook_file=roster(rows), user=commander)

    assert (result.created, result.updated, result.unchanged, result.rejected) == (0, 1, 2, 0)
    zhang.refresh_from_db()
    assert zhang.household.code == f"{G111}-002-2302"
    assert zhang.phone_masked == "138****2222"
    assert {t.tag for t in zhang.tags.all()} == {"student", "elderly_alone"}
    for r in (wang, li):
        r.refresh_from_db()
        assert (r.updated_at, r.phone_cipher) == before[r.pk]


def test_a_person_registered_outside_the_users_area_is_refused(make_user, residents, id_number):
    staff = make_user(Role.COMMUNITY_STAFF, C11)
    yang = residents[5]
    rows = [
        person(
            name="杨磊",
            document_number=id_number("410181", "19991231", 55),
            compound="瓦屋李新居",
            building="1号楼",
            entrance="1",
            room="101",
        )
    ]
    result = import_residents(workbook_file=roster(rows), user=staff)
    assert [(e.column, e.code) for e in result.errors] == [("证件号码", "registered_elsewhere")]
    yang.refresh_from_db()
    assert yang.area_code == G211


def test_building_names_shared_by_loose_buildings_need_a_compound_or_community(
    commander, id_number
):
    address = {"building": "1号楼", "entrance": "1", "room": "101"}
    rows = [
        person(name="甲", document_number=id_number("410172", "19800101", 1), **address),
        person(
            name="乙",
            document_number=id_number("410172", "19800101", 3),
            compound="大里村",
            **address,
        ),
    ]
    result = import_residents(workbook_file=roster(rows), user=commander)
    assert [(e.row, e.code) for e in result.errors] == [(3, "ambiguous")]
    assert Resident.objects.get(name="乙").area_code == G211


def test_english_headers_and_words_are_understood(commander, id_number):
    headers = ["No.", "Name", "ID number", "Building", "Room", "Entrance", "Compound"]
    headers += ["Residency", "Date of birth", "Tags"]
    doc = id_number("410172", "19800101", 5)
    rows = [
        person(
            headers,
            seq=1,
            name="Li Lei",
            document_number=doc,
            compound="瓦屋李新居",
            building="2",
            entrance="1",
            room="201",
            residency="floating",
            birth_date="1980-01-01",
            tags="elderly_alone, student",
        ),
        person(headers, seq=2, name="Bad", document_number="123", building="2", room="201"),
    ]
    result = import_residents(
        workbook_file=roster(rows, headers=headers, title=None), user=commander
    )
    assert (result.created, result.rejected) == (1, 1)
    lilei = find_resident_by_document("resident_id", doc)
    assert lilei.residency == "floating"
    assert {t.tag for t in lilei.tags.all()} == {"elderly_alone", "student"}
    header = [c.value for c in load_workbook(io.BytesIO(result.error_workbook)).active[1]]
    assert header == [*headers, "Source row", "Reason"]


def test_rows_without_a_document_are_refused_so_reimports_never_duplicate(commander):
    rows = [person(name="无证", compound="瓦屋李新居", building="1号楼", entrance="1", room="101")]
    result = import_residents(workbook_file=roster(rows), user=commander)
    assert [(e.field, e.code) for e in result.errors] == [("document_number", "required")]
    assert not Resident.objects.exists()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"not a workbook at all", "format"),
        ("no headers", "no_header"),
        ("missing columns", "missing_columns"),
    ],
)
def test_unreadable_files_are_refused_whole(commander, content, code):
    if content == "no headers":
        content = roster([["a", "b", "c"]], headers=["甲", "乙", "丙"]).getvalue()
    elif content == "missing columns":
        content = roster([["张三", "男", "1"]], headers=["姓名", "性别", "单元"]).getvalue()
    with pytest.raises(RuleViolation) as exc:
        import_residents(workbook_file=io.BytesIO(content), user=commander)
    assert (exc.value.field, exc.value.code) == ("file", code)
    if code == "missing_columns":
        assert "身份证号码" in exc.value.as_dict()["message"]
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT).exists()


def test_import_needs_the_permission_and_the_refusal_is_audited(grid_worker, messy):
    file, _ids = messy
    with pytest.raises(PermissionDeniedError):
        import_residents(workbook_file=file, user=grid_worker)
    entry = AuditEntry.objects.get(action=AuditAction.PERMISSION_DENIED)
    assert entry.detail == {"wanted": "import_residents"}
    assert not Resident.objects.exists()


def test_import_is_audited_with_counts_and_no_personal_data(community_staff, messy):
    file, ids = messy
    import_residents(workbook_file=file, user=community_staff, ip="10.0.0.9")
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert entry.user == community_staff
    assert entry.ip == "10.0.0.9"
    assert {k: entry.detail[k] for k in ("read", "created", "rejected")} == {
        "read": 14,
        "created": 6,
        "rejected": 8,
    }
    assert entry.detail["rejected_by_rule"]["excel_number"] == 1
    text = json.dumps(entry.detail, ensure_ascii=False)
    for number in [*ids.values(), "13800000001", "13800000002", "E12345678"]:
        assert number not in text
    for name in ("赵一", "钱二"):
        assert name not in text


def test_untouched_template_imports_nothing_and_a_filled_one_imports(community_staff, id_number):
    template = excel_write.template_workbook()
    empty = import_residents(workbook_file=io.BytesIO(template), user=community_staff)
    assert (empty.read, empty.skipped, empty.rejected) == (0, 1, 0)

    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook.active
    header = [c.value for c in sheet[3]]
    values = {
        "姓名": "新居民",
        "身份证号码": id_number("410172", "19920202", 7),
        "小区": "瓦屋李新居",
        "楼栋": "2号楼",
        "单元": "1",
        "房号": "301",
        "标签": "学生",
    }
    for name, value in values.items():
        sheet.cell(row=5, column=header.index(name) + 1).value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    filled = import_residents(workbook_file=buffer, user=community_staff)
    assert (filled.read, filled.created, filled.rejected) == (1, 1, 0)


def _many(id_number, n: int, offset: int):
    rooms = [(b, e, f"{f}0{r}") for b in (1, 2) for e in (1, 2) for f in (1, 2, 3) for r in (1, 2)]
    return roster(
        [
            person(
                name=f"居民{i}",
                document_number=id_number("410172", "19800101", offset + i),
                compound="瓦屋李新居",
                building=f"{rooms[i % 24][0]}号楼",
                entrance=rooms[i % 24][1],
                room=rooms[i % 24][2],
                tags="学生",
            )
            for i in range(n)
        ]
    )


def test_query_count_does_not_grow_with_the_number_of_rows(commander, id_number):
    counts = []
    for n, offset in ((5, 0), (40, 100)):
        file = _many(id_number, n, offset)
        with CaptureQueriesContext(connection) as queries:
            result = import_residents(workbook_file=file, user=commander)
        assert result.created == n
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- the pure parsing rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(1990, 1, 1),
        dt.date(1990, 1, 1),
        "1990-01-01",
        "1990-1-1",
        "1990/1/1",
        "1990.01.01",
        "1990年1月1日",
        "１９９０年１月１日",
        "19900101",
        19900101,
        32874,  # a date typed into a General cell: its Excel serial number
        "1990-01-01 00:00:00",
    ],
)
def test_dates_written_every_way_are_read(value):
    assert excel_cells.parse_date(value) == dt.date(1990, 1, 1)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1990-13-01", "date_format"),
        ("19900230", "date_format"),
        ("01/02/1990", "date_format"),
        ("yesterday", "date_format"),
        (1.5, "date_format"),
        ("2999-01-01", "date_range"),
        ("1850-01-01", "date_range"),
    ],
)
def test_bad_dates_are_refused_with_the_rule(value, code):
    with pytest.raises(RuleViolation) as exc:
        excel_cells.parse_date(value)
    assert (exc.value.field, exc.value.code) == ("birth_date", code)


@pytest.mark.parametrize("value", ["3号楼", "3栋", "3幢", "3#", "三号楼", "第3栋", "3", 3, 3.0])
def test_building_names_all_mean_the_same_building(value):
    assert excel_cells.building_key(value) == "3"


@pytest.mark.parametrize(
    ("room", "entrance", "expected"),
    [
        ("101", "", ("", "101")),
        (101.0, "1", ("1", "101")),
        ("101室", "1", ("1", "101")),
        ("1-101", "", ("1", "101")),
        ("2单元301", "", ("2", "301")),
        ("a12", "", ("", "A12")),
    ],
)
def test_rooms_and_entrances_are_normalised(room, entrance, expected):
    assert excel_cells.parse_room(room, entrance) == expected


def test_entrances_in_words_and_bad_rooms():
    assert [excel_cells.parse_entrance(v) for v in ("1单元", "一单元", 2.0, "十二", None)] == [
        "1",
        "1",
        "2",
        "12",
        "",
    ]
    with pytest.raises(RuleViolation) as exc:
        excel_cells.parse_room("一零一", "")
    assert (exc.value.field, exc.value.code) == ("room", "format")


def test_tags_sex_residency_and_document_type_words():
    assert excel_cells.parse_tags("独居老人、外出就医，残疾;孕妇 婴幼儿/学生") == {
        "elderly_alone",
        "medical_trips",
        "disabled",
        "pregnant",
        "infant",
        "student",
    }
    assert excel_cells.parse_tags("无") == set()
    assert excel_cells.parse_tags(None) == set()
    assert [excel_cells.parse_sex(v) for v in ("男", "女", "F", "", None)] == [
        "M",
        "F",
        "F",
        "",
        "",
    ]
    assert [excel_cells.parse_residency(v) for v in ("户籍", "常住", "流动", "", None)] == [
        "registered",
        "registered",
        "floating",
        None,
        None,
    ]
    assert excel_cells.parse_document_type("护照") == "passport"
    assert excel_cells.parse_document_type(None) == "resident_id"
    for parse, value in ((excel_cells.parse_sex, "未知"), (excel_cells.parse_residency, "外星")):
        with pytest.raises(RuleViolation):
            parse(value)


def test_header_row_is_found_below_a_title_by_names_in_any_form():
    rows = [
        ("瓦屋李社区居民花名册", None, None),
        (None, None, None),
        ("*姓名", "联系电话（手机）", "身份证号码(18位)", "Room"),
    ]
    header = excel.find_header(rows)
    assert header.row == 3
    assert header.columns == {"name": 0, "phone": 1, "document_number": 2, "room": 3}
    assert header.label("phone") == "联系电话（手机）"
    assert header.chinese
    assert excel.find_header([("姓名", "备注")]) is None


@pytest.mark.parametrize(
    ("cells", "kind"),
    [
        ((None, None, None), "blank"),
        ((7, None, " "), "blank"),  # pre-numbered empty line
        (("合计", None, "14人"), "totals"),
        ((None, "总计：14人", None), "totals"),
        (("示例", "李梅", "x"), "example"),
        (("填表人：王五", None, None), "note"),
        ((1, "Summer", "x"), "data"),
        ((1, "注意", None), "data"),
    ],
)
def test_rows_that_are_not_people_are_recognised(cells, kind):
    header = excel.Header(row=1, labels=("序号", "姓名", "房号"), columns={"seq": 0, "name": 1})
    assert excel.classify_row(cells, header) == kind
