"""Staff put samplers on a round's stations and take them off (issue 14, part 1)."""

import pytest
from django.urls import reverse

from devtools.fixtures import C11, C21, D
from fangkong.accounts.models import Role
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.models import AuditEntry
from fangkong.testing.models import RoundStatus
from fangkong.testing.models import TestingRound as Round  # a "Test…" name would be collected
from fangkong.testing.services.stations import assign_sampler, remove_sampler
from fangkong.testing.views_sampler import sampler_stations


@pytest.fixture
def staff(make_user):
    return make_user(Role.COMMUNITY_STAFF, C11)


def test_staff_put_a_sampler_on_a_station_from_the_page_and_take_them_off(
    client, station, staff, make_user
):
    sampler = make_user(Role.SAMPLER, C11)
    client.force_login(staff)
    page = client.get(reverse("testing:round_stations", args=[station.round_id]))
    assert page.status_code == 200 and "采样台与采样员" in page.content.decode()
    url = reverse("testing:station_samplers", args=[station.round_id, station.pk])
    assert client.post(url, {"op": "add", "sampler": sampler.pk}).status_code == 302
    assert list(sampler_stations(sampler)) == [station]
    assert (
        sampler.username
        in client.get(reverse("testing:round_stations", args=[station.round_id])).content.decode()
    )
    client.post(url, {"op": "remove", "sampler": sampler.pk})
    assert not sampler_stations(sampler).exists()


def test_a_sampler_out_of_scope_or_a_closed_round_is_refused_by_field(station, staff, make_user):
    elsewhere = make_user(Role.SAMPLER, C21)
    with pytest.raises(RuleViolation) as caught:
        assign_sampler(station=station, sampler=elsewhere, user=staff)
    assert (caught.value.field, caught.value.code) == ("sampler", "out_of_scope")
    # A district-wide sampler is outside a community worker's scope too.
    with pytest.raises(RuleViolation) as caught:
        assign_sampler(station=station, sampler=make_user(Role.SAMPLER, D), user=staff)
    assert caught.value.code == "out_of_scope"
    with pytest.raises(RuleViolation) as caught:
        assign_sampler(station=station, sampler=make_user(Role.GRID_WORKER, C11), user=staff)
    assert (caught.value.field, caught.value.code) == ("sampler", "role")
    sampler = make_user(Role.SAMPLER, C11)
    Round.objects.filter(pk=station.round_id).update(status=RoundStatus.CLOSED)
    station.round.refresh_from_db()
    for change in (assign_sampler, remove_sampler):
        with pytest.raises(RuleViolation) as caught:
            change(station=station, sampler=sampler, user=staff)
        assert (caught.value.field, caught.value.code) == ("station", "round_closed")
    assert not station.samplers.exists()


def test_staff_of_another_community_are_refused_and_audited(station, make_user):
    other = make_user(Role.COMMUNITY_STAFF, C21)
    sampler = make_user(Role.SAMPLER, C11)
    with pytest.raises(PermissionDeniedError):
        assign_sampler(station=station, sampler=sampler, user=other)
    assert AuditEntry.objects.filter(
        username=other.username, object_type="station", object_id=str(station.pk)
    ).exists()
    assert not station.samplers.exists()
