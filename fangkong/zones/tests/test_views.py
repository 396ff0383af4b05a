"""Zone pages: list, designation from the lists, the zone page and the map data."""

import json
import re
from html import unescape as html_unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C11, G111, G112
from fangkong.accounts.models import Role
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.zones import selectors
from fangkong.zones.models import RiskZone
from fangkong.zones.protocols import get_preset

from .conftest import B1111, B1121, COMPOUND


def test_the_commander_designates_from_the_lists(client, commander, people):
    client.force_login(commander)
    page = client.get(reverse("zones:new"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'value="{COMPOUND}"' in html and "瓦屋李新居" in html and f'value="{B1111}"' in html
    assert "data-zones-map" in html and "zones/zones-map.js" in html
    response = client.post(
        reverse("zones:new"),
        {
            "protocol": get_preset().pk,
            "kind": "sealed",
            "compounds": [COMPOUND],
            "buildings": [B1121],
            "reason": "阳性病例居住地",
        },
    )
    zone = RiskZone.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "zones:zone", args=[zone.pk]
    )
    assert zone.residents == 5 and zone.name == "瓦屋李新居等封控区"
    detail = client.get(response["Location"]).content.decode()
    assert 'data-testid="residents">5<' in detail and 'data-testid="elderly-alone">1<' in detail
    assert "区域封闭、足不出户、服务上门" in detail  # the measures, in Chinese by default
    listing = client.get(reverse("zones:list")).content.decode()
    assert zone.name in listing


def test_form_errors_are_shown(client, commander, people):
    client.force_login(commander)
    empty = client.post(reverse("zones:new"), {"protocol": get_preset().pk, "kind": "sealed"})
    assert empty.status_code == 200 and b'data-testid="form-error"' in empty.content
    wrong_kind = client.post(
        reverse("zones:new"),
        {"protocol": get_preset().pk, "kind": "high", "grids": [G111]},
    )
    assert wrong_kind.status_code == 200 and "high" in wrong_kind.content.decode()
    assert not RiskZone.objects.exists()


def test_a_grid_worker_sees_zones_but_cannot_designate(client, make_user, designate, people):
    zone = designate("sealed", [B1111])
    worker = make_user(Role.GRID_WORKER, G111)
    client.force_login(worker)
    assert client.get(reverse("zones:zone", args=[zone.pk])).status_code == 200
    assert b"designate-link" not in client.get(reverse("zones:list")).content
    assert client.get(reverse("zones:new")).status_code == 403
    assert AuditEntry.objects.filter(user=worker, action=AuditAction.PERMISSION_DENIED).exists()
    outsider = make_user(Role.GRID_WORKER, G112)
    client.force_login(outsider)
    assert client.get(reverse("zones:zone", args=[zone.pk])).status_code == 403
    assert AuditEntry.objects.filter(
        user=outsider, action=AuditAction.PERMISSION_DENIED, object_id=str(zone.pk)
    ).exists()


def test_map_data_colours_shapes_by_the_regime_that_applies(client, commander, designate, people):
    designate("controlled", [G112])
    sealed = designate("sealed", [COMPOUND])
    client.force_login(commander)
    data = client.get(
        reverse("zones:map_data"), {"levels": "grid,compound,building,checkpoint"}
    ).json()
    props = {f["id"]: f["properties"] for f in data["features"]}
    assert props[G112]["regime"] == "controlled" and props[G111]["regime"] is None
    assert props[COMPOUND]["regime"] == "sealed" and props[COMPOUND]["zone_id"] == sealed.pk
    assert props[B1111]["regime"] == "sealed" and props[B1121]["regime"] == "controlled"
    assert props[B1111]["zone_kind_label"]
    compound = next(f for f in data["features"] if f["id"] == COMPOUND)
    assert compound["geometry"]["type"] == "MultiPolygon"  # drawn from its buildings
    shape = client.get(reverse("zones:shape", args=[sealed.pk])).json()
    assert shape["features"][0]["properties"]["regime"] == "sealed"
    page = client.get(reverse("zones:map"))
    assert page.status_code == 200 and sealed.name in page.content.decode()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_zone_page_speaks_both_languages(client, commander, designate, people, lang):
    zone = designate("controlled", [G111])
    client.force_login(commander)
    client.cookies["django_language"] = lang
    html = client.get(
        reverse("zones:zone", args=[zone.pk]), headers={"accept-language": lang}
    ).content.decode()
    expected = "No one leaves the area" if lang == "en" else "人不出区、严禁聚集"
    assert expected in html
    # The protocol by its title, never its code.
    title = zone.protocol.data["title"]["en" if lang == "en" else "zh"]
    assert title in html and f"{zone.protocol.name} v" not in html
    listing = client.get(reverse("zones:list"), headers={"accept-language": lang})
    assert title in listing.content.decode()


__all__ = ["C11"]


def test_the_back_office_shows_zones_read_only(client, make_user, designate, people):
    zone = designate("sealed", [COMPOUND])
    client.force_login(make_user(is_staff=True, is_superuser=True))
    listing = client.get("/admin/zones/riskzone/")
    assert listing.status_code == 200 and zone.name in listing.content.decode()
    page = client.get(f"/admin/zones/riskzone/{zone.pk}/change/")
    assert page.status_code == 200 and COMPOUND in page.content.decode()
    assert client.get("/admin/zones/riskzone/add/").status_code == 403
    for model in ("checkpoint", "pass", "passage", "notice"):
        assert client.get(f"/admin/zones/{model}/").status_code == 200


def test_the_zone_page_takes_a_bounded_number_of_queries(
    client, commander, designate, people, django_assert_max_num_queries
):
    zone = designate("sealed", [COMPOUND, G112])
    client.force_login(commander)
    url = reverse("zones:zone", args=[zone.pk])
    client.get(url)
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200


def test_the_decide_endpoint_is_in_the_openapi_schema(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/v1/zones/checkpoints/{checkpoint_id}/decide" in paths


def test_the_zone_map_opens_on_the_zones_shape_padded(client, commander, designate, people):
    """The zone page hands its map the zone's box, padded on every side, and its centre."""
    zone = designate("sealed", [COMPOUND])
    assert zone.geometry, "the fixture compound has a shape"
    points = [
        pt
        for poly in (
            [zone.geometry["coordinates"]]
            if zone.geometry["type"] == "Polygon"
            else zone.geometry["coordinates"]
        )
        for ring in poly
        for pt in ring
    ]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    client.force_login(commander)
    html = client.get(reverse("zones:zone", args=[zone.pk])).content.decode()
    bounds = json.loads(html_unescape(re.search(r'data-bounds="([^"]+)"', html).group(1)))
    center = json.loads(html_unescape(re.search(r'data-center="([^"]+)"', html).group(1)))
    (b_west, b_north), (b_east, b_south) = bounds
    assert b_west < west and b_east > east and b_south < south and b_north > north
    # The padding is even, so the zone sits in the middle of the frame.
    assert (west - b_west) == pytest.approx(b_east - east, abs=1e-6)
    assert (b_north - north) == pytest.approx(south - b_south, abs=1e-6)
    assert center == pytest.approx([(west + east) / 2, (south + north) / 2], abs=1e-6)


def test_a_zone_without_a_shape_gives_its_map_no_frame(client, commander, designate, people):
    zone = designate("sealed", [COMPOUND])
    RiskZone.objects.filter(pk=zone.pk).update(geometry=None)
    client.force_login(commander)
    html = client.get(reverse("zones:zone", args=[zone.pk])).content.decode()
    assert 'data-testid="zone-map"' in html and "data-bounds" not in html


def test_a_building_sized_zone_still_opens_with_its_street_around_it():
    frame = selectors.map_frame(
        {"type": "Polygon", "coordinates": [[[113.0, 34.0], [113.0001, 34.0], [113.0, 34.0001]]]}
    )
    (west, north), (east, south) = frame["bounds"]
    assert east - west == pytest.approx(selectors.MAP_MIN_SPAN)
    assert north - south == pytest.approx(selectors.MAP_MIN_SPAN)


def test_ended_zones_page_by_page_and_active_ones_stay_on_top(
    client, commander, designate, people, monkeypatch
):
    from fangkong.zones import views

    monkeypatch.setattr(views, "ENDED_PAGE_SIZE", 2)
    active = designate("sealed", [COMPOUND])
    ended = [designate("precaution", [member]) for member in (G111, G112, B1121)]
    RiskZone.objects.filter(pk__in=[z.pk for z in ended]).update(
        status="lifted", ended_at=timezone.now()
    )
    client.force_login(commander)
    first = client.get(reverse("zones:list")).content.decode()
    rows = first.split('data-testid="ended-zone-list"')[1].split("</table>")[0].count("<tr><td>")
    assert rows == 2 and active.name in first and 'href="?page=2"' in first
    second = client.get(reverse("zones:list"), {"page": 2}).content.decode()
    rows = second.split('data-testid="ended-zone-list"')[1].split("</table>")[0].count("<tr><td>")
    assert rows == 1 and active.name in second
