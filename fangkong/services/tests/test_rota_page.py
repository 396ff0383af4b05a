"""The duty rota page: a unit's duties, adding one, two at once refused under the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C11, C21, G111, PASSWORD
from fangkong.accounts.models import Role
from fangkong.geo.models import Community
from fangkong.services.models import DutyShift

pytestmark = pytest.mark.django_db


def _local(hours: int) -> str:
    when = timezone.localtime(timezone.now() + dt.timedelta(hours=hours))
    return when.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def office(client, make_user):
    """The community's duty office, logged in."""
    keeper = make_user(Role.COMMUNITY_STAFF, C11)
    client.login(username=keeper.username, password=PASSWORD)
    return client


def test_a_duty_is_added_and_listed_under_the_units_name(office, make_user):
    staff = make_user(Role.GRID_WORKER, G111)
    url = reverse("services:rota") + f"?unit={C11}"
    page = office.get(url).content.decode()
    name = Community.objects.get(code=C11).name
    assert f"值班表: {name}</h1>" in page and f"{C11}</h1>" not in page
    added = office.post(
        url, {"staff": staff.pk, "post": "值班员", "starts_at": _local(1), "ends_at": _local(9)}
    )
    assert added.status_code == 302
    duty = DutyShift.objects.get()
    assert (duty.area_code, duty.user, duty.post) == (C11, staff, "值班员")
    assert "值班员" in office.get(url).content.decode()


def test_an_overlapping_duty_is_refused_under_the_staff_field(office, make_user):
    staff = make_user(Role.GRID_WORKER, G111)
    url = reverse("services:rota") + f"?unit={C11}"
    office.post(url, {"staff": staff.pk, "starts_at": _local(1), "ends_at": _local(9)})
    again = office.post(url, {"staff": staff.pk, "starts_at": _local(8), "ends_at": _local(12)})
    assert again.status_code == 200
    form = again.context["form"]
    assert "staff" in form.errors
    assert DutyShift.objects.count() == 1


def test_staff_of_another_area_and_a_unit_outside_the_scope_are_not_offered(office, make_user):
    other = make_user(Role.COMMUNITY_STAFF, C21)
    url = reverse("services:rota") + f"?unit={C11}"
    refused = office.post(url, {"staff": other.pk, "starts_at": _local(1), "ends_at": _local(2)})
    assert "staff" in refused.context["form"].errors
    assert not DutyShift.objects.exists()
    assert office.get(reverse("services:rota") + f"?unit={C21}").status_code == 404
