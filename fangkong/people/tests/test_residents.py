import datetime as dt

import pytest
from django.urls import reverse

from devtools.fixtures import C11, G111, G112, G211, S2
from fangkong.accounts.models import Role
from fangkong.core import crypto
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.geo.models import Household
from fangkong.people.models import Resident
from fangkong.people.selectors import ResidentFilter, list_residents
from fangkong.people.services import (
    find_resident_by_document,
    prepare_resident,
    register_resident,
    unmask_resident,
)


def names(qs):
    return sorted(r.name for r in qs)


def test_numbers_are_stored_encrypted_indexed_and_masked(residents, id_number):
    r = Resident.objects.get(name="张伟")
    number = id_number("410172", "19900101", 11)
    assert number not in r.document_cipher and "13812345678" not in r.phone_cipher
    assert r.document_masked == number[:3] + "*" * 11 + number[-4:]
    assert r.phone_masked == "138****5678"
    assert crypto.decrypt(r.document_cipher, context="resident.document") == number
    assert find_resident_by_document("resident_id", number) == r
    assert r.birth_date == dt.date(1990, 1, 1) and r.sex == "M"


def test_duplicate_document_is_refused(residents, commander, id_number):
    home = Household.objects.filter(area_code=G111).first()
    data = prepare_resident(
        name="张伟",
        document_type="resident_id",
        document_number=id_number("410172", "19900101", 11),
        household=home,
    )
    with pytest.raises(RuleViolation) as exc:
        register_resident(data=data, user=commander)
    assert exc.value.code == "duplicate"


def test_person_without_document_is_flagged_for_follow_up(district, commander):
    home = Household.objects.filter(area_code=G111).first()
    r = register_resident(
        data=prepare_resident(
            name="无证老人", document_type=None, document_number="", household=home
        ),
        user=commander,
    )
    assert r.needs_follow_up and r.document_index is None


def test_grid_worker_may_not_register_outside_their_grid(district, grid_worker):
    home = Household.objects.filter(area_code=G211).first()
    with pytest.raises(PermissionDeniedError):
        register_resident(
            data=prepare_resident(
                name="某人", document_type=None, document_number="", household=home
            ),
            user=grid_worker,
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"tags": {"vip"}}, "tags"),
        ({"residency": "tourist"}, "residency"),
        ({"birth_date": dt.date(1991, 1, 1)}, "birth_date"),
    ],
)
def test_prepare_resident_names_the_bad_field(district, id_number, kwargs, field):
    base = {
        "name": "赵六",
        "document_type": "resident_id",
        "document_number": id_number("410172", "19900101", 77),
    }
    with pytest.raises(RuleViolation) as exc:
        prepare_resident(**{**base, **kwargs})
    assert exc.value.field == field


def test_list_is_scoped_to_the_user(residents, make_user):
    worker = make_user(Role.GRID_WORKER, G111)
    assert names(list_residents(user=worker, filters=ResidentFilter())) == ["张伟", "李娜", "王芳"]
    assert list(list_residents(user=worker, filters=ResidentFilter(area_code=G211))) == []
    staff = make_user(Role.SUBDISTRICT_STAFF, S2)
    assert names(list_residents(user=staff, filters=ResidentFilter())) == ["杨磊"]
    sampler = make_user(Role.SAMPLER, G111)
    with pytest.raises(PermissionDeniedError):
        list_residents(user=sampler, filters=ResidentFilter())


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (ResidentFilter(area_code=G112), ["刘洋", "陈静"]),
        (ResidentFilter(area_code=C11, tag="elderly_alone"), ["王芳"]),
        (ResidentFilter(min_age=60), ["王芳"]),
        (ResidentFilter(max_age=5), ["李娜"]),
        (ResidentFilter(min_age=38, max_age=45), ["刘洋"]),
        (ResidentFilter(min_age=30, max_age=45), ["刘洋", "张伟"]),
        (ResidentFilter(q="陈"), ["陈静"]),
        (ResidentFilter(q="13500003333"), ["杨磊"]),
        (ResidentFilter(status="moved_out"), []),
    ],
)
def test_filters(residents, commander, filters, expected):
    assert names(list_residents(user=commander, filters=filters)) == expected


def test_search_by_full_id_number_uses_the_blind_index(residents, commander, id_number):
    found = list_residents(
        user=commander, filters=ResidentFilter(q=id_number("410181", "19991231", 55))
    )
    assert names(found) == ["杨磊"]


def test_list_query_count_is_pinned(client, commander, residents, django_assert_max_num_queries):
    client.force_login(commander)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("people:list"))
    assert response.status_code == 200
    assert "138****5678" in response.content.decode()
    assert "13812345678" not in response.content.decode()


def test_detail_is_masked_and_commander_unmask_is_audited(client, commander, residents, id_number):
    resident = Resident.objects.get(name="张伟")
    client.force_login(commander)
    page = client.get(reverse("people:detail", args=[resident.pk])).content.decode()
    number = id_number("410172", "19900101", 11)
    assert number not in page and resident.document_masked in page and "unmask-form" in page
    response = client.post(
        reverse("people:unmask", args=[resident.pk]), {"reason": "复核电话"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and number in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action=AuditAction.UNMASK)
    assert (entry.username, entry.role, entry.object_id, entry.reason, entry.area_code) == (
        commander.username,
        Role.DISTRICT_COMMANDER,
        str(resident.pk),
        "复核电话",
        G111,
    )
    assert number not in str(entry.detail)


def test_unmask_needs_a_reason(client, commander, residents):
    resident = Resident.objects.get(name="张伟")
    client.force_login(commander)
    response = client.post(reverse("people:unmask", args=[resident.pk]), {"reason": ""})
    assert response.status_code == 422
    assert not AuditEntry.objects.filter(action=AuditAction.UNMASK).exists()


def test_grid_worker_cannot_unmask_and_the_attempt_is_audited(residents, grid_worker):
    resident = Resident.objects.get(name="张伟")
    with pytest.raises(PermissionDeniedError):
        unmask_resident(resident=resident, user=grid_worker, reason="好奇")
    assert AuditEntry.objects.filter(
        action=AuditAction.PERMISSION_DENIED, object_id=str(resident.pk)
    ).exists()


def test_out_of_scope_resident_is_refused_and_audited_once(client, residents, make_user):
    worker = make_user(Role.GRID_WORKER, G111)
    client.force_login(worker)
    other = Resident.objects.get(name="杨磊")
    assert client.get(reverse("people:detail", args=[other.pk])).status_code == 403
    refusal = AuditEntry.objects.get(action=AuditAction.PERMISSION_DENIED)
    assert (refusal.user, refusal.object_type, refusal.object_id, refusal.area_code) == (
        worker,
        "resident",
        str(other.pk),
        other.area_code,
    )
    assert client.get(reverse("people:detail", args=[999_999])).status_code == 404


def test_role_without_resident_access_gets_403_page(client, residents, make_user):
    client.force_login(make_user(Role.CHECKPOINT_GUARD, G111))
    response = client.get(reverse("people:list"))
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.PERMISSION_DENIED).exists()


def test_api_lists_masked_and_unmasks_with_audit(client, commander, residents, id_number):
    client.force_login(commander)
    body = client.get("/api/v1/people/residents", {"area": G111, "tag": "elderly_alone"}).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["name"] == "王芳" and item["document_masked"].startswith("410***")
    assert "document_number" not in item
    detail = client.get(f"/api/v1/people/residents/{item['id']}").json()
    assert detail["tags"] == ["elderly_alone"]
    clear = client.post(
        f"/api/v1/people/residents/{item['id']}/unmask",
        {"reason": "上门核酸"},
        content_type="application/json",
    ).json()
    assert clear["document_number"] == id_number("410102", "19450302", 22)
    assert AuditEntry.objects.filter(action=AuditAction.UNMASK).count() == 1


def test_api_errors_name_the_field(client, residents, make_user):
    worker = make_user(Role.GRID_WORKER, G111)
    client.force_login(worker)
    resident = Resident.objects.get(name="张伟")
    response = client.post(
        f"/api/v1/people/residents/{resident.pk}/unmask",
        {"reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "forbidden"
    response = client.get("/api/v1/people/residents", {"min_age": "old"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "min_age"
    assert client.get("/api/v1/people/residents/999999").status_code == 404


def test_api_requires_authentication(client, residents):
    assert client.get("/api/v1/people/residents").status_code == 401
