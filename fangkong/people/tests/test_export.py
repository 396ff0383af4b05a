"""Exporting residents to Excel, and the import/export pages."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from devtools.fixtures import C11, C21, G111, G112
from fangkong.accounts.models import Role
from fangkong.core.errors import PermissionDeniedError
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.geo.models import Household
from fangkong.people.exporting import export_residents
from fangkong.people.models import Resident
from fangkong.people.selectors import ResidentFilter
from fangkong.people.services import prepare_resident, register_resident

from .test_import import person, roster

CLEAR_PHONES = ["13812345678", "13912345678", "13700001111", "13600002222", "13500003333"]


def sheet_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def all_xml(content: bytes) -> str:
    """Every part of the .xlsx as text: what a person could find by unzipping it."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return "".join(z.read(name).decode("utf-8", "replace") for name in z.namelist())


def clear_documents(residents) -> list[str]:
    from fangkong.core import crypto
    from fangkong.people.services import DOCUMENT_CONTEXT

    return [crypto.decrypt(r.document_cipher, context=DOCUMENT_CONTEXT) for r in residents]


def test_export_holds_every_resident_in_scope_masked(commander, residents):
    result = export_residents(user=commander, filters=ResidentFilter())

    rows = sheet_rows(result.content)
    assert result.rows == 6
    assert "高新区" in rows[0][0]  # a title row above the headers names the area
    assert rows[1][:7] == ("序号", "姓名", "性别", "出生日期", "证件类型", "身份证号码", "联系电话")
    zhang = rows[2]
    assert zhang[1] == "张伟"
    assert zhang[2] == "男"
    assert zhang[5] == residents[0].document_masked
    assert zhang[6] == "138****5678"
    assert zhang[7:12] == ("第一网格", "瓦屋李新居", "1号楼", "1", "101")
    assert zhang[12:15] == ("户籍", "学生", "在住")
    text = all_xml(result.content)
    for number in clear_documents(residents) + CLEAR_PHONES:
        assert number not in text


def test_free_text_notes_and_guardians_leave_masked(commander, residents, id_number):
    """Regression: a number typed into a note, or a guardian typed at sampling, left in
    clear in the "masked" export."""
    number = id_number("410172", "19800101", 66)
    Resident.objects.filter(pk=residents[0].pk).update(note=f"女儿 13755556666 代办，证件 {number}")
    data = prepare_resident(
        name="王奶奶", document_type=None, document_number="", guardian="王建国 13700000000"
    )
    grandma = data.to_model()
    grandma.area_code = residents[0].area_code
    grandma.save()
    result = export_residents(user=commander, filters=ResidentFilter())
    text = all_xml(result.content)
    for clear in ("13755556666", number, "王建国", "13700000000"):
        assert clear not in text
    notes = {row[1]: row[15] for row in sheet_rows(result.content)[2:]}
    assert notes["张伟"].startswith("女儿 137****6666 代办，证件 " + number[:3] + "*")


def test_export_follows_the_list_filters_and_the_users_scope(commander, make_user, residents):
    def names(user, **filters):
        content = export_residents(user=user, filters=ResidentFilter(**filters)).content
        return [row[1] for row in sheet_rows(content)[2:]]

    assert names(commander, tag="elderly_alone") == ["王芳"]
    assert names(commander, area_code=G112) == ["刘洋", "陈静"]
    assert names(commander, q="张") == ["张伟"]
    village = make_user(Role.COMMUNITY_STAFF, C21)
    assert names(village) == ["杨磊"]
    assert names(village, area_code=G111) == []


def test_export_is_audited_with_filters_and_count_but_no_clear_number(commander, residents):
    document = clear_documents(residents[:1])[0]
    export_residents(
        user=commander, filters=ResidentFilter(q=document, area_code=G111), ip="10.1.2.3"
    )
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.detail["rows"] == 1
    assert entry.detail["filters"]["area_code"] == G111
    assert entry.detail["filters"]["q"] == residents[0].document_masked
    assert entry.area_code == G111
    assert document not in str(entry.detail)


def test_export_needs_the_permission(grid_worker, residents):
    with pytest.raises(PermissionDeniedError):
        export_residents(user=grid_worker, filters=ResidentFilter())
    assert AuditEntry.objects.get(action=AuditAction.PERMISSION_DENIED).detail == {
        "wanted": "export_residents"
    }


def test_english_export_uses_english_headers_and_labels(commander, residents):
    with translation.override("en"):
        content = export_residents(user=commander, filters=ResidentFilter(tag="student")).content
    header, zhang = sheet_rows(content)[1:3]
    assert header[:3] == ("No.", "Name", "Sex")
    assert (zhang[2], zhang[12], zhang[13]) == ("Male", "Registered population", "Student")


def test_cells_are_never_formulas(commander, district, id_number):
    home = Household.objects.filter(area_code=G111).first()
    data = prepare_resident(
        name="=HYPERLINK(1)",
        document_type="resident_id",
        document_number=id_number("410172", "19800101", 9),
        household=home,
    )
    register_resident(data=data, user=commander)
    content = export_residents(user=commander, filters=ResidentFilter()).content
    cell = load_workbook(io.BytesIO(content)).active.cell(row=3, column=2)
    assert (cell.value, cell.data_type) == ("=HYPERLINK(1)", "s")


def test_export_to_a_file_and_query_count_is_flat(
    commander, residents, tmp_path, django_assert_max_num_queries
):
    out = tmp_path / "out.xlsx"
    with django_assert_max_num_queries(4):  # residents, tags, area name, audit
        result = export_residents(user=commander, filters=ResidentFilter(), output=out)
    assert result.content is None
    assert len(sheet_rows(out.read_bytes())) == 2 + 6


# --- pages ------------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def staff_client(client, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, C11)
    client.force_login(staff)
    client.user = staff
    return client


def upload(client, content: bytes, name: str = "花名册.xlsx", **headers):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile(name, content)
    return client.post(reverse("people:import"), {"workbook": file}, headers=headers)


def bad_and_good_rows(id_number):
    home = {"compound": "瓦屋李新居", "building": "1号楼", "entrance": "1", "room": "101"}
    return roster(
        [
            person(name="好人", document_number=id_number("410172", "19800101", 1), **home),
            person(name="坏人", document_number="41017219800101", **home),
        ]
    ).getvalue()


def test_upload_shows_the_summary_and_offers_the_rejected_rows(
    staff_client, media, id_number, make_user, client
):
    response = upload(staff_client, bad_and_good_rows(id_number))

    assert response.status_code == 200
    result = response.context["result"]
    assert (result.read, result.created, result.rejected) == (2, 1, 1)
    assert b'data-testid="count-created">1<' in response.content
    errors_url = reverse("people:import_errors", args=[response.context["token"]])
    assert errors_url.encode() in response.content

    download = staff_client.get(errors_url)
    assert download.status_code == 200
    assert download["Cache-Control"] == "no-store"
    rows = sheet_rows(b"".join(download.streaming_content))
    assert rows[1][1] == "坏人"

    # Another user with the same permission cannot fetch it, even knowing the address.
    other = make_user(Role.COMMUNITY_STAFF, C11)
    client.force_login(other)
    assert client.get(errors_url).status_code == 404


def test_unreadable_uploads_are_explained_on_the_form(staff_client, media):
    wrong_kind = upload(staff_client, b"a,b,c", name="roster.csv")
    assert wrong_kind.status_code == 422
    assert wrong_kind.context["form"].errors["workbook"]

    staff_client.cookies["django_language"] = "en"  # the language switch's choice
    no_header = upload(staff_client, roster([["x"]], headers=["甲"]).getvalue())
    assert no_header.status_code == 422
    assert "header" in no_header.context["form"].errors["workbook"][0]
    assert not Resident.objects.exists()


def test_import_page_and_template_download(staff_client):
    page = staff_client.get(reverse("people:import"))
    assert page.status_code == 200
    assert reverse("people:import_template").encode() in page.content

    response = staff_client.get(reverse("people:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet["A1"].value.endswith("居民花名册")
    assert sheet["A2"].value.startswith("说明")
    header = [c.value for c in sheet[3]]
    assert header[:6] == ["序号", "姓名", "性别", "证件类型", "身份证号码", "联系电话"]
    id_column = header.index("身份证号码") + 1
    assert sheet.cell(row=4, column=1).value == "示例"
    assert sheet.cell(row=4, column=id_column).value == "11010519491231002X"
    assert sheet.cell(row=10, column=id_column).number_format == "@"


def test_export_download_carries_the_list_filters(client, commander, residents):
    client.force_login(commander)
    response = client.get(reverse("people:export"), {"tag": "elderly_alone"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = sheet_rows(b"".join(response.streaming_content))
    assert [r[1] for r in rows[2:]] == ["王芳"]
    assert AuditEntry.objects.get(action=AuditAction.EXPORT).detail["filters"] == {
        "tag": "elderly_alone"
    }

    bad = client.get(reverse("people:export"), {"min_age": "old"})
    assert bad.status_code == 422


def test_resident_list_links_to_import_and_filtered_export(client, commander, residents):
    client.force_login(commander)
    page = client.get(reverse("people:list"), {"tag": "student"}).content.decode()
    assert f'href="{reverse("people:import")}"' in page
    assert f'href="{reverse("people:export")}?tag=student"' in page


@pytest.mark.parametrize("name", ["people:import", "people:import_template", "people:export"])
def test_roles_without_the_permission_get_403(client, make_user, district, name):
    sampler = make_user(Role.SAMPLER, G111)
    client.force_login(sampler)
    response = client.get(reverse(name))
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.PERMISSION_DENIED, user=sampler).exists()


def test_grid_worker_cannot_upload(client, grid_worker, id_number, media):
    client.force_login(grid_worker)
    response = upload(client, bad_and_good_rows(id_number))
    assert response.status_code == 403
    assert not Resident.objects.exists()


def test_anonymous_users_are_sent_to_login(client, district):
    response = client.get(reverse("people:export"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
