"""Volunteers and rosters: sign-up, review, assignment rules, hours, duty rota."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from devtools.fixtures import C11, G111, G112, G211, PASSWORD
from fangkong.accounts.models import Role
from fangkong.core.errors import RuleViolation
from fangkong.services.models import Assignment, Volunteer
from fangkong.services.services.volunteers import (
    assign_volunteer,
    check_in,
    check_out,
    create_shift,
    on_duty,
    put_on_duty,
    review_volunteer,
    sign_up_volunteer,
)
from fangkong.services.volunteer_selectors import suggest_volunteers

from .conftest import at

pytestmark = pytest.mark.django_db
VALID = at("2026-06-20 00:00")


@pytest.fixture
def volunteer(commander):
    def make(grid=G111, skills=("delivery",), approve=True, **extra):
        v = sign_up_volunteer(
            name="赵志愿",
            phone="13800001111",
            grid_code=grid,
            skills=skills,
            test_valid_until=extra.pop("test_valid_until", VALID),
            **extra,
        )
        return review_volunteer(user=commander, volunteer=v, approve=True) if approve else v

    return make


@pytest.fixture
def shift(commander):
    def make(start="2026-06-13 08:00", end="2026-06-13 12:00", **extra):
        extra.setdefault("kind", "delivery")
        extra.setdefault("area_code", G111)
        extra.setdefault("skill", "delivery")
        return create_shift(user=commander, starts_at=at(start), ends_at=at(end), **extra)

    return make


def test_sign_up_keeps_the_phone_encrypted_and_masked(volunteer):
    v = volunteer(approve=False)
    assert v.phone_masked == "138****1111"
    assert "13800001111" not in v.phone_cipher


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"grid_code": C11}, "grid_code"),
        ({"skills": ["juggling"]}, "skills"),
    ],
)
def test_a_bad_sign_up_is_refused_and_nothing_written(district, extra, field):
    kwargs = {"name": "赵", "phone": "13800001111", "grid_code": G111} | extra
    with pytest.raises(RuleViolation) as err:
        sign_up_volunteer(**kwargs)
    assert err.value.field == field
    assert not Volunteer.objects.exists()


def test_a_volunteer_on_two_shifts_at_once_is_refused(commander, volunteer, shift):
    v = volunteer()
    assign_volunteer(user=commander, shift=shift(), volunteer=v)
    with pytest.raises(RuleViolation) as err:
        assign_volunteer(
            user=commander, shift=shift("2026-06-13 11:00", "2026-06-13 14:00"), volunteer=v
        )
    assert (err.value.field, err.value.code) == ("volunteer", "double_booked")
    assert Assignment.objects.count() == 1
    # Back to back is fine.
    assign_volunteer(
        user=commander, shift=shift("2026-06-13 12:00", "2026-06-13 14:00"), volunteer=v
    )


@pytest.mark.parametrize(
    ("make", "code"),
    [
        ({"approve": False}, "not_approved"),
        ({"skills": ("phone",)}, "skill"),
        ({"test_valid_until": at("2026-06-13 10:00")}, "test"),
    ],
)
def test_a_volunteer_who_does_not_fit_is_refused(commander, volunteer, shift, make, code):
    with pytest.raises(RuleViolation) as err:
        assign_volunteer(user=commander, shift=shift(), volunteer=volunteer(**make))
    assert err.value.code == code


def _approved_in(area_code: str) -> Volunteer:
    """An approved volunteer of an area the small district has no node for (sign-up would
    refuse it): the ranking reads only the code."""
    return Volunteer.objects.create(
        name="钱志愿",
        phone_cipher="-",
        phone_masked="138****0000",
        area_code=area_code,
        skills=["delivery"],
        test_valid_until=VALID,
        status="approved",
    )


def test_suggestions_rank_by_the_area_tree_and_leave_out_the_busy(
    commander, volunteer, shift, make_user
):
    other_subdistrict = volunteer(grid=G211)
    same_community = volunteer(grid=G112)
    same_subdistrict = _approved_in("410172-001-002-001")
    same_grid = volunteer(grid=G111)
    busy = volunteer(grid=G111)
    lacks_skill = volunteer(grid=G111, skills=("phone",))
    assign_volunteer(user=commander, shift=shift(), volunteer=busy)
    wanted = shift(capacity=5)
    assert suggest_volunteers(user=commander, shift=wanted) == [
        same_grid,
        same_community,
        same_subdistrict,
        other_subdistrict,
    ]
    assert lacks_skill not in suggest_volunteers(user=commander, shift=wanted)
    assert suggest_volunteers(user=commander, shift=wanted, limit=2) == [same_grid, same_community]
    # A community's coordinator is offered the volunteers of the community only: the ones
    # they may assign.
    assert suggest_volunteers(user=make_user(Role.COMMUNITY_STAFF, C11), shift=wanted) == [
        same_grid,
        same_community,
    ]


def test_a_community_shift_ranks_its_own_community_first(commander, volunteer, shift):
    other_subdistrict = volunteer(grid=G211)
    in_community = volunteer(grid=G112)
    at_community = shift(area_code=C11)
    assert suggest_volunteers(user=commander, shift=at_community) == [
        in_community,
        other_subdistrict,
    ]


def test_check_in_and_out_make_the_hours(commander, volunteer, shift):
    a = assign_volunteer(user=commander, shift=shift(), volunteer=volunteer())
    with pytest.raises(RuleViolation):
        check_out(user=commander, assignment=a)
    check_in(user=commander, assignment=a, now=at("2026-06-13 08:05"))
    a = check_out(user=commander, assignment=a, now=at("2026-06-13 11:40"))
    assert a.hours == Decimal("3.5")


def test_the_duty_rota_names_who_is_on_and_refuses_two_duties_at_once(commander, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, C11)
    put_on_duty(
        user=commander,
        area_code=C11,
        staff=staff,
        starts_at=at("2026-06-13 00:00"),
        ends_at=at("2026-06-13 08:00"),
    )
    with pytest.raises(RuleViolation) as err:
        put_on_duty(
            user=commander,
            area_code=C11,
            staff=staff,
            starts_at=at("2026-06-13 07:00"),
            ends_at=at("2026-06-13 09:00"),
        )
    assert err.value.code == "double_booked"
    on = on_duty(area_code=G111, at=at("2026-06-13 03:20"))
    assert [d.user for d in on] == [staff]
    assert on_duty(area_code=G111, at=at("2026-06-13 08:00")) == []


def test_sign_up_review_assign_and_hours_through_the_pages(client, commander, shift):
    page = client.post(
        reverse("services:signup"),
        {"name": "钱志愿", "phone": "13900002222", "grid_code": G111, "skills": ["delivery"]},
    )
    assert 'data-testid="signup-done"' in page.content.decode()
    volunteer = Volunteer.objects.get()
    client.login(username=commander.username, password=PASSWORD)
    client.post(reverse("services:review", args=[volunteer.pk]), {"approve": "1"})
    volunteer.refresh_from_db()
    volunteer.test_valid_until = VALID
    volunteer.save()
    s = shift()
    page = client.get(reverse("services:shift", args=[s.pk])).content.decode()
    assert f'data-testid="assign-{volunteer.pk}"' in page
    # The shift's and the volunteer's grid by name, never by code.
    assert "· 瓦屋李社区第一网格 <form" in page and f"<code>{G111}</code>" not in page
    client.post(reverse("services:shift", args=[s.pk]), {"assign": volunteer.pk})
    a = Assignment.objects.get()
    client.post(reverse("services:shift", args=[s.pk]), {"assignment": a.pk, "check_in": "1"})
    client.post(reverse("services:shift", args=[s.pk]), {"assignment": a.pk, "check_out": "1"})
    a.refresh_from_db()
    assert a.checked_out_at is not None
    assert client.get(reverse("services:volunteers")).status_code == 200


def test_sign_ups_to_review_page_by_page(client, commander, monkeypatch):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    for n in range(3):
        sign_up_volunteer(
            name=f"志愿者{n}",
            phone=f"1380000222{n}",
            grid_code=G111,
            skills=("delivery",),
            test_valid_until=VALID,
        )
    client.force_login(commander)
    first = client.get(reverse("services:volunteers")).content.decode()
    assert first.count('data-testid="approve-') == 2 and 'href="?applicants=2"' in first
    # Each applicant's grid by name, never by code.
    assert first.count("· 瓦屋李社区第一网格 ·") == 2 and f"<code>{G111}</code>" not in first
    second = client.get(reverse("services:volunteers"), {"applicants": 2}).content.decode()
    assert second.count('data-testid="approve-') == 1
