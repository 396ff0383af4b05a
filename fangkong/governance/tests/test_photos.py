"""Photos with a matter or a patrol: uploaded from the phone, stripped of where they were
taken, shown only to who may see the case, and never left behind by a refused report."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from devtools.fixtures import G111, S2
from fangkong.accounts.models import Role
from fangkong.core.errors import RuleViolation
from fangkong.governance.models import GovCase, PatrolLog, Photo, River
from fangkong.governance.services.photos import prepare_photo, save_photos, stored_files
from fangkong.governance.services.rivers import appoint_chief, create_segment

GPS_IFD = 0x8825


def jpeg(*, size=(4000, 3000), with_gps: bool = True, name: str = "IMG_0001.jpg"):
    image = Image.new("RGB", size, (90, 140, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if with_gps:
        exif[GPS_IFD] = {1: "N", 2: (34.0, 48.0, 0.0), 3: "E", 4: (113.0, 33.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def test_a_matter_is_reported_with_photos_without_their_place(client, units, grid_worker, media):
    original = jpeg()
    assert Image.open(io.BytesIO(original.read())).getexif().get(GPS_IFD)
    original.seek(0)
    client.force_login(grid_worker)
    response = client.post(
        reverse("governance:intake"),
        {"kind": "rubbish", "title": "河岸垃圾", "area_code": G111, "photos": [original, jpeg()]},
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    case = GovCase.objects.get(title="河岸垃圾")
    photos = list(case.photos.all())
    assert len(photos) == 2 and len(stored(media)) == 2
    served = client.get(reverse("governance:photo", args=[photos[0].pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert image.format == "JPEG" and max(image.size) == 2048
    assert not image.getexif()  # no place, no phone make
    page = client.get(reverse("governance:case", args=[case.pk])).content.decode()
    assert reverse("governance:photo", args=[photos[0].pk]) in page


def test_a_photo_is_shown_only_to_who_may_see_its_case(client, units, grid_worker, make_user):
    client.force_login(grid_worker)
    client.post(
        reverse("governance:intake"),
        {"kind": "rubbish", "title": "垃圾", "area_code": G111, "photos": jpeg()},
    )
    photo = Photo.objects.get()
    url = reverse("governance:photo", args=[photo.pk])
    client.force_login(make_user(Role.SUBDISTRICT_STAFF, S2))
    assert client.get(url).status_code == 404
    client.force_login(make_user(Role.DISTRICT_COMMANDER))
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302  # to the login page, never the file


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("x.jpg", b"not a photo at all", content_type="image/jpeg"),
        SimpleUploadedFile("x.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ],
    ids=["text-named-jpg", "gif"],
)
def test_a_file_that_is_not_a_photo_is_refused_on_its_field(
    client, units, grid_worker, media, upload
):
    client.force_login(grid_worker)
    response = client.post(
        reverse("governance:intake"),
        {"kind": "rubbish", "title": "垃圾", "area_code": G111, "photos": upload},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["photos"]
    assert not GovCase.objects.exists() and not stored(media)


def test_the_size_and_pixel_limits_name_the_rule(settings):
    settings.FANGKONG_PHOTO_MAX_BYTES = 1024
    with pytest.raises(RuleViolation) as too_large:
        prepare_photo(jpeg(size=(200, 200)), field="photos")
    assert (too_large.value.field, too_large.value.code) == ("photos", "too_large")


def test_a_refused_report_leaves_no_file_and_no_row(units, grid_worker, media, report):
    case = report(title="先报的事项")
    prepared = [prepare_photo(jpeg(size=(300, 200)))]
    with pytest.raises(RuntimeError), stored_files() as names, transaction.atomic():
        save_photos(prepared, names=names, user=grid_worker, case=case)
        assert len(stored(media)) == 1
        raise RuntimeError("the report broke a rule after its photo was written")
    assert not Photo.objects.exists() and not stored(media)


def test_a_patrol_photo_is_the_evidence_of_its_hazard(client, make_user, units, media):
    river = River.objects.create(name="贾鲁河", code="jialu")
    segment = create_segment(river=river, name="瓦屋李段", area_code=G111)
    chief = appoint_chief(segment=segment, user=make_user(Role.GRID_WORKER, G111), level="village")
    client.force_login(chief.user)
    end = timezone.localtime() - dt.timedelta(minutes=5)
    response = client.post(
        reverse("governance:patrol"),
        {
            "chief": chief.pk,
            "started_at": (end - dt.timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M"),
            "ended_at": end.strftime("%Y-%m-%dT%H:%M"),
            "track": "[[113.55, 34.8], [113.574, 34.8]]",
            "problems": "河道内堆放建筑垃圾",
            "category": "dump",
            "photos": jpeg(size=(800, 600)),
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    log = PatrolLog.objects.get()
    photo = log.photo_files.get()
    assert photo.case == log.hazards.get().case
    page = client.get(reverse("governance:patrol")).content.decode()
    assert reverse("governance:photo", args=[photo.pk]) in page
