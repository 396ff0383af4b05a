"""The sampler page: a sampler sees and opens only their own stations; the page's session and
CSRF token are what the sample API needs."""

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C11, C21, PASSWORD
from fangkong.accounts.models import Role
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.geo.models import Place
from fangkong.testing.models import RoundStatus, Sample, Tube, TubeState
from fangkong.testing.services.rounds import add_station, create_round, create_tubes


@pytest.fixture
def sampler(make_user, station):
    user = make_user(Role.SAMPLER, C11)
    station.samplers.add(user)
    return user


@pytest.fixture
def sampler_client(client, sampler):
    client.force_login(sampler)
    return client


def station_url(station):
    return reverse("testing:sampler_station", args=[station.pk])


def test_picker_lists_only_the_samplers_own_stations_with_round_and_site(
    sampler_client, sampler, station, mass_round, commander, django_assert_max_num_queries
):
    place = Place.objects.get(code=f"{C11}-P01")
    not_mine = add_station(round=mass_round, place=place, name="2号台")
    closed_round = create_round(name="上一轮筛查", scope_codes=[C11], user=commander)
    closed = add_station(round=closed_round, place=place, name="旧台", samplers=[sampler])
    closed_round.status = RoundStatus.CLOSED
    closed_round.save()

    with django_assert_max_num_queries(6):
        response = sampler_client.get(reverse("testing:sampler"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="station-{station.pk}"' in html
    assert "1号台" in html and mass_round.name in html and "瓦屋李采样小屋" in html
    assert f'data-testid="station-{not_mine.pk}"' not in html and "2号台" not in html
    assert f'data-testid="station-{closed.pk}"' not in html and "旧台" not in html


def test_a_sampler_without_a_station_gets_an_empty_picker(client, make_user, station):
    client.force_login(make_user(Role.SAMPLER, C11))
    response = client.get(reverse("testing:sampler"))
    assert response.status_code == 200
    assert b'data-testid="no-stations"' in response.content
    assert b"station-list" not in response.content


def test_station_outside_the_samplers_scope_is_not_offered(client, make_user, station):
    other = make_user(Role.SAMPLER, C21)  # another sub-district, bound by mistake
    station.samplers.add(other)
    client.force_login(other)
    assert b'data-testid="no-stations"' in client.get(reverse("testing:sampler")).content
    assert client.get(station_url(station)).status_code == 403


def test_station_page_renders_for_its_sampler(sampler_client, station, mass_round):
    response = sampler_client.get(station_url(station))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-station="{station.pk}"' in html
    assert f'data-capacity="{mass_round.pool_size}"' in html
    assert 'data-samples-url="/api/v1/testing/samples"' in html
    assert 'data-seal-url="/api/v1/testing/tubes/BARCODE/seal"' in html
    assert "testing/sampler/main.js" in html and "/jsi18n/" in html
    assert "<script>" not in html  # no inline scripts: the page runs under a strict CSP
    assert "zxing-library-0.23.0.min.js" in html
    assert 'value="passport"' in html and 'value="foreign_pr_id"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_another_sampler_is_refused_the_station_and_the_refusal_is_audited(
    client, make_user, station
):
    stranger = make_user(Role.SAMPLER, C11)
    client.force_login(stranger)
    response = client.get(station_url(station))
    assert response.status_code == 403
    assert AuditEntry.objects.filter(
        user=stranger,
        action=AuditAction.PERMISSION_DENIED,
        object_type="station",
        object_id=str(station.pk),
    ).exists()


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.LAB_TECHNICIAN])
def test_roles_that_do_not_sample_are_refused_the_page(client, make_user, station, role):
    client.force_login(make_user(role, C11))
    assert client.get(reverse("testing:sampler")).status_code == 403
    assert client.get(station_url(station)).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, station):
    response = client.get(reverse("testing:sampler"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(station_url(station)).status_code == 302


def tube_url(station, barcode):
    return reverse("testing:sampler_tube", args=[station.pk, barcode])


def test_tube_lookup_tells_capacity_and_count(sampler_client, station, tubes):
    response = sampler_client.get(tube_url(station, tubes[0].barcode))
    assert response.status_code == 200
    assert response.json() == {
        "barcode": tubes[0].barcode,
        "capacity": tubes[0].capacity,
        "sample_count": 0,
        "state": "open",
    }


def test_tube_lookup_refuses_what_the_sample_api_would_refuse(
    sampler_client, station, tubes, commander
):
    assert sampler_client.get(tube_url(station, "000000000000")).status_code == 404
    Tube.objects.filter(pk=tubes[1].pk).update(state=TubeState.SEALED)
    response = sampler_client.get(tube_url(station, tubes[1].barcode))
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "not_open"
    other_round = create_round(name="另一轮", scope_codes=[C11], user=commander)
    foreign = create_tubes(round=other_round, count=1)[0]
    response = sampler_client.get(tube_url(station, foreign.barcode))
    assert response.json()["errors"][0]["code"] == "other_round"


def test_tube_lookup_is_refused_to_other_samplers(client, make_user, station, tubes):
    client.force_login(make_user(Role.SAMPLER, C11))
    response = client.get(
        tube_url(station, tubes[0].barcode), headers={"Accept": "application/json"}
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "forbidden"


def test_the_pages_session_and_csrf_token_let_it_post_samples(
    sampler, station, tubes, residents, id_number
):
    """What sampler.js does: read the token from the page, post with X-CSRFToken."""
    browser = Client(enforce_csrf_checks=True)
    login = browser.get(reverse("accounts:login"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.content.decode())[1]
    browser.post(
        reverse("accounts:login"),
        {"username": sampler.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    page = browser.get(station_url(station)).content.decode()
    csrf = re.search(r'data-csrf="([^"]+)"', page)[1]
    taken_at = (timezone.localtime() - dt.timedelta(minutes=1)).isoformat()
    body = json.dumps(
        {
            "station": station.pk,
            "items": [
                {
                    "idempotency_key": "5f0e3c1a-0000-4000-8000-000000000001",
                    "tube_barcode": tubes[0].barcode,
                    "taken_at": taken_at,
                    "document_type": "resident_id",
                    "document_number": id_number("410172", "19900101", 11),
                }
            ],
        }
    )
    refused = browser.post(
        reverse("api:post_samples"), body, content_type="application/json"
    )  # no header: a forged cross-site post
    assert refused.status_code in (401, 403)
    assert Sample.objects.count() == 0

    for _ in range(2):  # the second post is a replay
        answer = browser.post(
            reverse("api:post_samples"),
            body,
            content_type="application/json",
            headers={"X-CSRFToken": csrf},
        )
        assert answer.status_code == 200, answer.content
    item = answer.json()["items"][0]
    assert item["status"] == "accepted" and item["replayed"] is True
    assert item["tube_samples"] == 1
    assert Sample.objects.get().recorded_by == sampler.username

    sealed = browser.post(
        reverse("api:post_seal", kwargs={"barcode": tubes[0].barcode}),
        headers={"X-CSRFToken": csrf},
    )
    assert sealed.status_code == 200 and sealed.json()["state"] == "sealed"
