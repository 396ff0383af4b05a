"""The resident's own page: a signed link, no login, their own requests and nothing else."""

from __future__ import annotations

import pytest
from django.core import signing
from django.urls import reverse

from devtools.fixtures import G111, PASSWORD
from fangkong.core.errors import RuleViolation
from fangkong.services.models import Channel, ServiceRequest
from fangkong.services.services.resident_page import (
    DAILY_LIMIT,
    raise_own_request,
    resident_page_token,
)
from fangkong.zones.services.designation import designate_zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(commander):
    return designate_zone(user=commander, kind="sealed", members=[G111])


def _url(resident) -> str:
    return reverse("services:resident_page", args=[resident_page_token(resident)])


def test_a_resident_under_control_raises_a_request_and_follows_it(client, sealed, wang):
    page = client.get(_url(wang))
    assert page.status_code == 200 and 'data-testid="own-request-form"' in page.content.decode()
    assert "我的诉求" in page.content.decode()
    sent = client.post(_url(wang), {"kind": "medicine", "description": "降压药吃完了"})
    assert sent.status_code == 200
    made = ServiceRequest.objects.get()
    assert (made.channel, made.kind, made.resident, made.raised_by) == (
        Channel.RESIDENT,
        "medicine",
        wang,
        None,
    )
    html = client.get(_url(wang)).content.decode()
    listed = html.split('data-testid="own-requests"')[1]
    assert made.number in listed and made.get_state_display() in listed
    # Nothing personal: not the name, not even the masked one the staff see.
    assert wang.name not in html and made.subject not in html


def test_the_page_lists_only_the_residents_own_requests(client, sealed, wang, residents, raise_for):
    raise_for(resident=residents[0])  # 张伟, the same grid
    mine = raise_for()
    html = client.get(_url(wang)).content.decode()
    assert mine.number in html
    assert ServiceRequest.objects.exclude(pk=mine.pk).get().number not in html


def test_a_forged_link_or_another_pages_link_opens_nothing(client, sealed, wang):
    assert client.get(_url(wang)[:-3] + "xyz/").status_code == 404
    tracing_link = signing.dumps(wang.pk, salt="fangkong.tracing.self-report")
    page = client.get(reverse("services:resident_page", args=[tracing_link]))
    assert page.status_code == 404
    posted = client.post(page.request["PATH_INFO"], {"kind": "other", "description": "x"})
    assert posted.status_code == 404
    assert not ServiceRequest.objects.exists()


def test_outside_any_zone_the_resident_is_told_to_call_the_grid_worker(client, wang):
    with pytest.raises(RuleViolation) as err:
        raise_own_request(resident=wang, kind="supplies", description="大米")
    assert (err.value.field, err.value.code) == ("resident", "not_under_control")
    assert 'data-testid="own-request-form"' not in client.get(_url(wang)).content.decode()
    assert not ServiceRequest.objects.exists()


def test_only_the_pages_kinds_are_accepted(sealed, wang):
    with pytest.raises(RuleViolation) as err:
        raise_own_request(resident=wang, kind="dialysis", description="透析")
    assert (err.value.field, err.value.code) == ("kind", "not_self_service")
    with pytest.raises(RuleViolation) as err:
        raise_own_request(resident=wang, kind="other", description="  ")
    assert (err.value.field, err.value.code) == ("description", "required")


def test_the_page_refuses_more_than_the_daily_limit(client, sealed, wang):
    for i in range(DAILY_LIMIT):
        raise_own_request(resident=wang, kind="other", description=f"第{i}件")
    refused = client.post(_url(wang), {"kind": "supplies", "description": "大米"})
    assert refused.status_code == 429
    assert ServiceRequest.objects.count() == DAILY_LIMIT


def test_the_care_profile_page_gives_the_staff_the_residents_link(client, grid_worker, wang):
    client.login(username=grid_worker.username, password=PASSWORD)
    html = client.get(reverse("services:care_profile", args=[wang.pk])).content.decode()
    assert _url(wang) in html
