"""The command dashboard: the figures for the user's scope, a fixed number of queries, the
landing page of everyone who watches incidents."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from fangkong.command.dashboard import dashboard
from fangkong.testing.models import RoundKind, Tube, TubeState
from fangkong.testing.services.rounds import create_round
from fangkong.work.models import TASK_KIND_LABELS, Task

from .conftest import C11, G111, G211, S1, D

# The partial's queries: session and user, then the dashboard's grouped reads. It must not
# grow with the number of rounds, grids, tubes, tasks or people.
# Two read the people rounds list (institution rosters, retest orders); three the case desk,
# two the residents' requests.
DASHBOARD_QUERIES = 27  # with the population counted afresh (a cache miss)


@pytest.fixture
def busy_district(staff, positive_pool, designate_zone):
    """A positive pool (mass round + retest round), a sealed compound with its schedule
    rounds (buildings), an overdue tube, an overdue task."""
    zone = designate_zone()
    Tube.objects.filter(pk__in=Tube.objects.filter(state=TubeState.OPEN).values("pk")[:1]).update(
        state=TubeState.SEALED, sealed_at=timezone.now() - dt.timedelta(hours=9)
    )
    Task.objects.create(
        key="manual:late",
        kind="check_in",
        title="核查独居老人",
        area_code=G111,
        assignee=staff["grid1"],
        due_at=timezone.now() - dt.timedelta(hours=1),
    )
    return zone


@pytest.fixture
def designate_zone(staff):
    from fangkong.zones.services.designation import designate_zone as designate

    def make(kind="sealed", members=(f"{C11}-C01",)):
        return designate(kind=kind, members=list(members), user=staff["commander"])

    return make


def test_the_dashboard_shows_the_response_in_the_users_scope(staff, busy_district):
    board = dashboard(user=staff["commander"])
    names = {r.round.kind for r in board.rounds}
    assert RoundKind.MASS in names and RoundKind.RETEST in names
    mass = next(r for r in board.rounds if r.round.kind == RoundKind.MASS)
    assert (mass.residents, mass.tested) == (6, 3) and mass.percent == 50.0
    assert mass.phrase == "采集20:1标本1管3人"
    assert board.primary is mass
    by_grid = {g["code"]: g for g in board.grid_rows}
    assert by_grid[G111]["tested"] == 2 and by_grid[G111]["residents"] == 3
    assert by_grid[G211]["tested"] == 0
    assert [z.pk for z in board.zones] == [busy_district.pk]
    assert len(board.open_incidents) == 1
    assert board.overdue_tube_count == 1 and board.overdue_tubes[0].reason == "not_received"
    assert board.tasks_overdue == 1 and board.overdue_tasks[0].title == "核查独居老人"
    # Kinds are named as staff say them, not by their code.
    labels = {kind: label for kind, label, _n, _late in board.tasks_by_kind}
    assert labels and all(
        label != kind or kind not in TASK_KIND_LABELS for kind, label in labels.items()
    )
    assert Task(kind="zone_daily").kind_label == "风险区每日工作"
    assert Task(kind="something_new").kind_label == "something_new"
    assert board.awaiting_retest == 3 and board.retests_pending == 3
    assert board.unread >= 1  # the alarm of the positive pool

    # A zone round covers buildings: its people are those of the compound.
    zone_rounds = [r for r in board.rounds if r.round.kind == RoundKind.ZONE_SCHEDULE]
    assert zone_rounds and all(r.residents == 3 for r in zone_rounds)

    # The other sub-district sees none of it.
    other = dashboard(user=staff["fengyang"])
    assert other.open_incidents == [] and other.zones == [] and other.awaiting_retest == 0
    assert [r.residents for r in other.rounds if r.round.kind == RoundKind.MASS] == [1]


def test_the_dashboard_query_count_is_fixed(client, staff, busy_district, designate_zone):
    client.force_login(staff["commander"])
    url = reverse("command:dashboard_live")
    cache.clear()  # both renders count the population afresh (the longer path)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    # More of everything: rounds over grids and over buildings, zones, tasks.
    designate_zone(kind="controlled", members=[G211])
    create_round(name="第二轮", scope_codes=[S1], user=staff["commander"])
    create_round(name="楼栋", scope_codes=[f"{G111}-002"], user=staff["commander"], kind="targeted")
    for n in range(5):
        Task.objects.create(key=f"k{n}", kind="check_in", title="t", area_code=G211)
    cache.clear()
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    assert len(after) == len(before)


def test_the_dashboard_query_count_is_pinned(
    client, staff, busy_district, django_assert_max_num_queries
):
    client.force_login(staff["commander"])
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = client.get(reverse("command:dashboard_live"))
    assert response.status_code == 200
    assert b'data-testid="round-progress"' in response.content
    assert b"dashboard-coverage-data" in response.content


def test_the_page_polls_its_partial_and_draws_the_map(client, staff, busy_district):
    client.force_login(staff["commander"])
    page = client.get(reverse("command:dashboard"))
    assert page.status_code == 200
    body = page.content.decode()
    assert f'hx-get="{reverse("command:dashboard_live")}"' in body and "every " in body
    assert "data-coverage-map" in body
    shapes = client.get(reverse("command:dashboard_map")).json()
    assert {f["id"] for f in shapes["features"]} >= {G111, G211}


def test_the_replay_button_is_for_commanders_when_the_scenario_exists(client, staff):
    client.force_login(staff["commander"])
    body = client.get(reverse("command:dashboard")).content.decode()
    try:
        reverse("scenario_run", args=["june13"])
        exists = True
    except NoReverseMatch:
        exists = False
    assert ('data-testid="replay-june13"' in body) is exists
    client.force_login(staff["wutong"])
    body = client.get(reverse("command:dashboard")).content.decode()
    assert 'data-testid="replay-june13"' not in body


def test_an_auditor_sees_incidents_and_zones_but_no_people(client, staff, busy_district):
    board = dashboard(user=staff["auditor"])
    assert board.may_see_people is False and board.awaiting_retest == 0
    assert all(r.residents == 0 for r in board.rounds)
    client.force_login(staff["auditor"])
    assert client.get(reverse("command:dashboard_live")).status_code == 200


def test_home_lands_commanders_on_the_dashboard_and_others_on_their_area(client, staff):
    client.force_login(staff["commander"])
    assert client.get(reverse("home"))["Location"] == reverse("command:dashboard")
    client.force_login(staff["grid1"])
    assert client.get(reverse("home"))["Location"].endswith(f"/areas/{G111}/")
    assert client.get(reverse("command:dashboard")).status_code == 403


def test_the_menu_links_the_dashboard_for_those_who_may_see_it(client, staff):
    client.force_login(staff["wawuli"])
    assert 'data-nav="command"' in client.get(reverse("command:dashboard")).content.decode()
    client.force_login(staff["grid1"])
    assert 'data-nav="command"' not in client.get(f"/areas/{G111}/").content.decode()


def test_the_demo_commander_lands_on_the_dashboard(client, db, settings):
    """`make demo` → sign in as `commander` → the home redirect → the dashboard."""
    from fangkong.demo.accounts import DEMO_PASSWORD, ensure_demo_accounts
    from fangkong.demo.seed import seed_demo

    seed_demo(residents=600, seed=3, progress=False)
    ensure_demo_accounts()
    response = client.post(
        reverse("accounts:login"), {"username": "commander", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    landing = client.get(reverse("home"), follow=True)
    assert landing.redirect_chain[-1][0] == reverse("command:dashboard")
    assert b'data-testid="dashboard-title"' in landing.content


__all__ = ["D"]


def test_an_empty_dashboard_says_what_to_try_first_until_something_is_under_way(
    client, staff, settings
):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(staff["commander"])
    body = client.get(reverse("command:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans").content
    body = body.decode()
    assert 'data-testid="first-steps"' in body
    assert "目前还没有进行中的工作" in body
    assert f'href="{reverse("testing:sampler")}"' in body and "采样页面" in body
    assert f'href="{reverse("zones:new")}"' in body
    create_round(kind=RoundKind.MASS, name="第一轮", scope_codes=[S1], user=staff["commander"])
    body = client.get(reverse("command:dashboard")).content.decode()
    assert 'data-testid="first-steps"' not in body


def test_grids_are_named_in_the_page_language(staff, busy_district):
    from django.utils import translation

    from fangkong.geo.models import Grid

    Grid.objects.filter(code=G111).update(name_en="Grid One")
    with translation.override("zh-hans"):
        board = dashboard(user=staff["commander"])
    zh = Grid.objects.get(code=G111).name_zh
    assert {g["code"]: g["name"] for g in board.grid_rows}[G111] == zh
    assert {g["code"]: g["name"] for g in board.awaiting_by_grid}[G111] == zh
    with translation.override("en"):
        board = dashboard(user=staff["commander"])
    assert {g["code"]: g["name"] for g in board.grid_rows}[G111] == "Grid One"
    assert {g["code"]: g["name"] for g in board.awaiting_by_grid}[G111] == "Grid One"
    # A grid with no English name keeps its Chinese one.
    assert {g["code"]: g["name"] for g in board.grid_rows}[G211] == Grid.objects.get(
        code=G211
    ).name_zh
