"""Sampling codes: the QR on screen, the signature the sample API checks, and the printed card
sheet (an audited, scoped export that shows no ID or phone number)."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C11, G111, G211, D
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.core.masking import mask_name
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.geo.models import Place
from fangkong.people.models import Resident, ResidentStatus, ResidentTag, Tag
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.people.views_codes import qr_svg

PHONES = ("13812345678", "13912345678", "13700001111", "13600002222", "13500003333")


@pytest.fixture
def wang_fang(residents):
    return Resident.objects.get(name="王芳")  # elderly, living alone, grid 111


def code_url(resident):
    return reverse("sampling_code", args=[resident.pk])


def test_code_page_shows_the_signed_code_as_a_full_size_qr_svg(client, make_user, wang_fang):
    client.force_login(make_user(Role.GRID_WORKER, G111))
    response = client.get(code_url(wang_fang))
    assert response.status_code == 200
    html = response.content.decode()
    assert str(qr_svg(sampling_code_for(wang_fang.pk))) in html
    width = int(re.search(r'<svg viewBox="0 0 (\d+) \d+" class="qr"', html)[1])
    assert width >= 21 + 8  # a real QR code (version 1 and up) with its quiet zone, not Micro QR
    assert "王芳" in html
    assert response["Cache-Control"] == "no-store"


def test_code_page_is_scoped_and_needs_view_residents(client, make_user, residents):
    yang_lei = Resident.objects.get(name="杨磊")  # another sub-district
    client.force_login(make_user(Role.GRID_WORKER, G111))
    assert client.get(code_url(yang_lei)).status_code == 403  # out of scope: refused, audited
    client.force_login(make_user(Role.SAMPLER, C11))
    assert client.get(code_url(yang_lei)).status_code == 403


def test_qr_is_never_micro_qr_even_for_short_codes():
    size = int(re.search(r'viewBox="0 0 (\d+)', str(qr_svg("FKSC.1.x")))[1])
    assert size >= 29


@pytest.fixture
def booth(commander):
    from fangkong.testing.services.rounds import add_station, create_round, create_tubes

    round_ = create_round(
        name="全员核酸检测",
        scope_codes=[D],
        user=commander,
        starts_at=timezone.now() - dt.timedelta(hours=1),
    )
    token, clear = create_device_token(
        name="1号台平板", role=Role.SAMPLER, scope_code=C11, created_by=commander
    )
    station = add_station(
        round=round_, place=Place.objects.get(code=f"{C11}-P01"), name="1号台", devices=[token]
    )
    return station, create_tubes(round=round_, count=1)[0], clear


def post_code(client, booth, code, key):
    station, tube, clear = booth
    return client.post(
        "/api/v1/testing/samples",
        {
            "station": station.pk,
            "items": [
                {
                    "idempotency_key": key,
                    "tube_barcode": tube.barcode,
                    "taken_at": timezone.now().isoformat(),
                    "sampling_code": code,
                }
            ],
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {clear}"},
    )


def test_a_forged_or_altered_code_is_refused_by_the_api_and_the_real_one_accepted(
    client, booth, wang_fang, residents
):
    from fangkong.testing.models import Sample

    real = sampling_code_for(wang_fang.pk)
    someone_else = Resident.objects.get(name="张伟")
    number, signature = real.split(".")[1:]
    forgeries = [
        f"FKSC.{someone_else.pk}.{signature}",  # another person's number under this signature
        real[:-2] + ("AA" if not real.endswith("AA") else "BB"),  # a damaged signature
        f"FKSC.{number}",  # no signature at all
    ]
    for i, forged in enumerate(forgeries):
        item = post_code(client, booth, forged, f"forged-{i}").json()["items"][0]
        assert item["status"] == "rejected", forged
        assert item["field"] == "sampling_code" and item["code"] == "signature"
    assert Sample.objects.count() == 0

    item = post_code(client, booth, real, "real").json()["items"][0]
    assert item["status"] == "accepted" and "sampling_code" in item["flags"]
    assert Sample.objects.get().resident == wang_fang


@pytest.fixture
def staff(make_user):
    return make_user(Role.COMMUNITY_STAFF, C11)


def cards_url(**params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("sampling_code_cards") + (f"?{query}" if query else "")


def test_card_sheet_prints_masked_names_and_addresses_and_is_audited(
    client, staff, wang_fang, residents
):
    client.force_login(staff)
    response = client.get(cards_url(area=G111, tag="elderly_alone"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="code-card"') == 1
    assert mask_name("王芳") in html and "王芳" not in html
    assert wang_fang.household.room in html
    assert str(qr_svg(sampling_code_for(wang_fang.pk))) in html
    assert response["Cache-Control"] == "no-store"

    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, user=staff)
    assert entry.object_type == "sampling_code_card" and entry.area_code == G111
    assert entry.detail == {"format": "sampling_code_cards", "tag": "elderly_alone", "cards": 1}


def test_card_sheet_shows_no_id_or_phone_number(client, commander, residents, id_number):
    ResidentTag.objects.bulk_create(
        [ResidentTag(resident=r, tag=Tag.ELDERLY_ALONE) for r in residents if r.name != "王芳"]
    )
    client.force_login(commander)
    html = client.get(cards_url(area=D, tag="elderly_alone")).content.decode()
    assert html.count('data-testid="code-card"') == 6
    for r in Resident.objects.all():
        assert r.document_masked not in html
        assert not r.phone_masked or r.phone_masked not in html
    numbers = [
        id_number("410172", "19900101", 11),
        id_number("410102", "19450302", 22),
        id_number("410105", "20230115", 24),
        id_number("411302", "19851120", 33),
        id_number("410172", "19700707", 44),
        id_number("410181", "19991231", 55),
    ]
    for secret in (*numbers, *PHONES):
        assert secret not in html
        assert secret[-4:] + "<" not in html  # not even a tail
    assert not re.search(r"\d{15,18}", re.sub(r"<svg.*?</svg>", "", html, flags=re.S))


def test_card_sheet_is_scoped_to_the_users_area(client, staff, residents):
    yang_lei = Resident.objects.get(name="杨磊")
    ResidentTag.objects.create(resident=yang_lei, tag=Tag.ELDERLY_ALONE)
    client.force_login(staff)

    # Their own community: 王芳 only, not 杨磊 of another sub-district.
    html = client.get(cards_url(area=C11)).content.decode()  # tag defaults to elderly_alone
    assert html.count('data-testid="code-card"') == 1 and mask_name("杨磊") not in html

    # Another community, or the whole district above them: refused and audited.
    for area in (G211, D):
        assert client.get(cards_url(area=area, tag="elderly_alone")).status_code == 403
    assert (
        AuditEntry.objects.filter(
            user=staff, action=AuditAction.PERMISSION_DENIED, object_type="sampling_code_cards"
        ).count()
        == 2
    )
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT, area_code=G211).exists()


def test_card_sheet_leaves_out_people_who_moved_out(client, staff, wang_fang):
    Resident.objects.filter(pk=wang_fang.pk).update(status=ResidentStatus.MOVED_OUT)
    client.force_login(staff)
    response = client.get(cards_url(area=G111, tag="elderly_alone"))
    assert b'data-testid="no-cards"' in response.content


def test_printing_cards_needs_export_permission(client, make_user, residents):
    worker = make_user(Role.GRID_WORKER, G111)  # may view residents, not export them
    client.force_login(worker)
    assert client.get(cards_url(area=G111, tag="elderly_alone")).status_code == 403
    assert AuditEntry.objects.filter(user=worker, action=AuditAction.PERMISSION_DENIED).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


@pytest.mark.parametrize(
    ("params", "field"), [({"area": "41-x"}, "area"), ({"area": G111, "tag": "vip"}, "tag")]
)
def test_card_sheet_refuses_bad_filters(client, staff, residents, params, field):
    client.force_login(staff)
    response = client.get(cards_url(**params), headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
