"""The services pages: the board, the phone intake, a request's steps, the care list."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from devtools.fixtures import G111, G112, PASSWORD
from fangkong.accounts.models import Role
from fangkong.geo.models import Grid
from fangkong.services.models import CareProfile, RequestState, ServiceRequest
from fangkong.services.selectors import request_board
from fangkong.zones.services.designation import designate_zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_client(client, grid_worker):
    client.login(username=grid_worker.username, password=PASSWORD)
    return client


def test_a_grid_worker_raises_a_request_for_a_resident_from_the_care_list(worker_client, residents):
    wang = residents[1]
    care = worker_client.get(reverse("services:care"))
    assert care.status_code == 200
    assert f'data-testid="care-{wang.pk}"' in care.content.decode()
    page = worker_client.get(reverse("services:raise") + f"?resident={wang.pk}")
    assert page.status_code == 200
    # The resident's home by its address, never its household code.
    subject = page.content.decode().split('data-testid="raise-subject"')[1].split("</p>")[0]
    assert wang.household.label in subject and wang.household.code not in subject
    response = worker_client.post(
        reverse("services:raise"),
        {
            "kind": "supplies",
            "priority": "2",
            "channel": "grid_worker",
            "resident": wang.pk,
            "lines": "大米 2 袋\n食用油 1 桶",
        },
    )
    created = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("services:request", args=[created.pk])
    assert created.lines.count() == 2
    assert created.subject == "王*"


def test_a_bad_line_is_shown_on_the_form_and_nothing_is_written(worker_client, residents):
    response = worker_client.post(
        reverse("services:raise"),
        {
            "kind": "supplies",
            "priority": "2",
            "channel": "grid_worker",
            "resident": residents[1].pk,
            "lines": "大米",
        },
    )
    assert response.status_code == 200
    assert not ServiceRequest.objects.exists()


def test_a_request_is_acknowledged_and_delivered_from_its_page(worker_client, raise_for):
    request = raise_for()
    page = worker_client.get(reverse("services:request", args=[request.pk]))
    assert 'data-testid="acknowledge"' in page.content.decode()
    worker_client.post(reverse("services:step", args=[request.pk, "acknowledge"]))
    rice, oil = request.lines.all()
    worker_client.post(
        reverse("services:step", args=[request.pk, "progress"]),
        {
            f"committed-{rice.pk}": 2,
            f"delivered-{rice.pk}": 2,
            f"committed-{oil.pk}": 1,
            f"delivered-{oil.pk}": 1,
        },
    )
    request.refresh_from_db()
    assert request.state == RequestState.FULFILLED


def test_over_delivery_from_the_page_is_refused_with_a_message(worker_client, raise_for):
    request = raise_for()
    rice, _oil = request.lines.all()
    response = worker_client.post(
        reverse("services:step", args=[request.pk, "progress"]),
        {f"committed-{rice.pk}": 9},
        follow=True,
    )
    # The line by its item, not by the field's name.
    page = response.content.decode()
    assert "大米：" in page and "progress[0]" not in page
    rice.refresh_from_db()
    assert rice.committed == 0


def test_the_board_counts_open_and_overdue_by_kind_and_grid(client, commander, raise_for):
    raise_for()
    raise_for(kind="medicine", lines=[])  # raised at a fixed past time: overdue now
    board = request_board(user=commander)
    assert (board.open, board.overdue) == (2, 2)  # raised on 13 June: overdue by now
    assert [(r.key, r.open) for r in board.by_grid] == [(G111, 2)]
    client.login(username=commander.username, password=PASSWORD)
    with translation.override("en"):
        page = client.get(reverse("services:board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<code>SQ" in page


def test_the_board_names_each_grid_and_never_shows_its_code(client, commander, raise_for):
    raise_for()
    grid = Grid.objects.get(code=G111)
    (row,) = request_board(user=commander).by_grid
    assert (row.key, row.label) == (G111, grid.name_zh)
    client.login(username=commander.username, password=PASSWORD)
    html = client.get(reverse("services:board")).content.decode()
    grids = html.split('data-testid="board-grids"')[1].split("</table>")[0]
    assert grid.name_zh in grids and G111 not in grids


def test_a_sampler_may_not_see_requests(client, make_user):
    sampler = make_user(Role.SAMPLER)
    client.login(username=sampler.username, password=PASSWORD)
    assert client.get(reverse("services:board")).status_code == 403


def test_care_needs_are_kept_from_their_page_and_a_bad_one_shown(worker_client, residents):
    liu = residents[3]  # grid 112: outside the grid worker's area
    assert worker_client.get(reverse("services:care_profile", args=[liu.pk])).status_code == 403
    wang = residents[1]
    url = reverse("services:care_profile", args=[wang.pk])
    refused = worker_client.post(url, {"refill_days": 120})
    assert refused.status_code == 200
    assert not CareProfile.objects.exists()
    worker_client.post(url, {"no_smartphone": "on", "dialysis_days": ["0", "3"], "refill_days": 90})
    profile = CareProfile.objects.get(resident=wang)
    assert (profile.no_smartphone, profile.dialysis_weekdays) == (True, [0, 3])


def test_the_care_list_narrows_to_a_designated_zone(client, commander, residents):
    zone = designate_zone(user=commander, kind="sealed", members=[G112])
    client.login(username=commander.username, password=PASSWORD)
    page = client.get(reverse("services:care") + f"?zone={zone.pk}").content.decode()
    assert f'data-testid="care-{residents[4].pk}"' in page  # 陈静, grid 112
    assert f'data-testid="care-{residents[1].pk}"' not in page  # 王芳, grid 111
