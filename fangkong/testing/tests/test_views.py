"""Round pages: who may see and do what, the live numbers, the exports and their audit."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from devtools.fixtures import C11, C21, G111, G112
from fangkong.accounts.models import Role
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.testing import models
from fangkong.testing.services.registration import SampleItem, register_samples
from fangkong.work.models import Task


@pytest.fixture
def sampled(residents, station, tablet, tubes, now):
    """张伟 and 刘洋 tested."""
    people = {r.name: r for r in residents}
    items = [
        SampleItem(
            idempotency_key=f"v-{people[n].pk}",
            tube_barcode=tubes[0].barcode,
            taken_at=now - dt.timedelta(minutes=1),
            sampling_code=sampling_code_for(people[n].pk),
        )
        for n in ("张伟", "刘洋")
    ]
    register_samples(station=station, items=items, actor=tablet, now=now)
    return people


def denied(user) -> bool:
    return AuditEntry.objects.filter(action=AuditAction.PERMISSION_DENIED, user=user).exists()


def test_round_pages_render_for_the_commander(client, commander, sampled, mass_round):
    client.force_login(commander)
    listing = client.get(reverse("testing:rounds"))
    assert listing.status_code == 200
    assert mass_round.name in listing.content.decode() and b'data-testid="round-form"' in (
        listing.content
    )
    page = client.get(reverse("testing:round", args=[mass_round.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="residents">6<' in html and 'data-testid="tested">2<' in html
    assert "采集20:1标本1管2人" in html  # zh-hans by default
    assert 'hx-trigger="every 12s"' in html and "testing/coverage-map.js" in html
    assert 'data-testid="plan"' in html and 'id="coverage-data"' in html
    assert 'data-testid="export-coverage"' in html and 'data-testid="doorknock-form"' in html


def test_live_partial_and_map(
    client, commander, sampled, mass_round, django_assert_max_num_queries
):
    client.force_login(commander)
    url = reverse("testing:round_live", args=[mass_round.pk])
    client.get(url)  # warm the session and user caches
    # 13: the two reads of households not yet explained by door-knocking among them.
    with django_assert_max_num_queries(13):
        live = client.get(url, {"area": C11}, headers={"HX-Request": "true"})
    assert live.status_code == 200 and live["Cache-Control"] == "no-store"
    html = live.content.decode()
    assert "<html" not in html and 'data-testid="residents">5<' in html
    geo = client.get(reverse("testing:round_map", args=[mass_round.pk]), {"area": C11}).json()
    props = {f["id"]: f["properties"] for f in geo["features"]}
    assert set(props) == {G111, G112}
    assert props[G111]["percent"] == pytest.approx(33.3) and props[G112]["percent"] == 50.0
    assert geo["features"][0]["geometry"]["type"] == "Polygon"


def test_grid_worker_sees_their_grid_but_cannot_create_or_export(
    client, grid_worker, sampled, mass_round
):
    client.force_login(grid_worker)
    assert client.get(reverse("testing:rounds")).status_code == 200
    page = client.get(reverse("testing:round", args=[mass_round.pk]))
    assert page.status_code == 200 and 'data-testid="residents">3<' in page.content.decode()
    assert b"export-coverage" not in page.content and b"doorknock-form" not in page.content
    response = client.post(
        reverse("testing:round_new"), {"name": "x", "areas": [G111], "pool_group": "general"}
    )
    assert response.status_code == 403 and denied(grid_worker)
    assert client.get(reverse("testing:export_coverage", args=[mass_round.pk])).status_code == 403
    assert client.post(reverse("testing:doorknock", args=[mass_round.pk])).status_code == 403


@pytest.mark.parametrize("role", [Role.SAMPLER, Role.LAB_TECHNICIAN, Role.AUDITOR])
def test_roles_without_residents_are_refused(client, make_user, mass_round, role):
    user = make_user(role, C11)
    client.force_login(user)
    assert client.get(reverse("testing:rounds")).status_code == 403
    assert client.get(reverse("testing:round", args=[mass_round.pk])).status_code == 403
    assert client.get(reverse("testing:grid_work", args=[mass_round.pk])).status_code == 403
    assert denied(user)
    # The pooling advisor shows no personal data: every role may use it.
    assert client.get(reverse("testing:pooling")).status_code == 200


def test_round_outside_the_users_area_is_refused(client, commander, make_user):
    from fangkong.testing.services.rounds import create_round

    round_ = create_round(name="网格一", scope_codes=[G111], user=commander)
    village = make_user(Role.COMMUNITY_STAFF, C21)
    client.force_login(village)
    assert client.get(reverse("testing:round", args=[round_.pk])).status_code == 403
    assert round_.name not in client.get(reverse("testing:rounds")).content.decode()
    assert client.get(reverse("testing:round", args=[99999])).status_code == 404


def test_new_round_takes_the_groups_pool_size_or_the_override(client, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, C11)
    client.force_login(staff)
    url = reverse("testing:round_new")
    response = client.post(url, {"name": "管控区筛查", "areas": [G111], "pool_group": "controlled"})
    round_ = models.TestingRound.objects.get(name="管控区筛查")
    assert response.status_code == 302 and response["Location"].endswith(f"/rounds/{round_.pk}/")
    assert (round_.pool_size, round_.scope_codes, round_.created_by) == (10, [G111], staff)
    client.post(
        url, {"name": "单采", "areas": [G111, G112], "pool_group": "general", "pool_size": 1}
    )
    assert models.TestingRound.objects.get(name="单采").pool_size == 1
    bad = client.post(url, {"name": "越界", "areas": [C21], "pool_group": "general"})
    assert bad.status_code == 422 and not models.TestingRound.objects.filter(name="越界").exists()
    too_big = client.post(url, {"name": "x", "areas": [G111], "pool_size": 30})
    assert too_big.status_code == 422


def test_exports_are_masked_and_audited(client, commander, sampled, mass_round):
    client.force_login(commander)
    response = client.get(reverse("testing:export_coverage", args=[mass_round.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[2][:6] == (G111, "第一网格", 3, 1, 2, 33.3)
    assert rows[-1][2:5] == (6, 2, 4)
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, object_type="testing_round")
    assert entry.object_id == str(mass_round.pk) and entry.detail["export"] == "coverage_by_grid"

    response = client.get(reverse("testing:export_untested", args=[mass_round.pk]), {"area": C11})
    cells = [
        c
        for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
        for c in row
    ]
    assert {"王芳", "李娜", "陈静"} <= set(cells) and "张伟" not in cells
    assert "139****5678" in cells and "13912345678" not in cells
    assert "136****2222" in cells and "13600002222" not in cells
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 2
    last = AuditEntry.objects.filter(action=AuditAction.EXPORT).latest("id")
    assert last.detail == {"export": "untested_residents", "rows": 3} and last.area_code == C11


def test_door_knocking_from_the_round_page_to_full_coverage_on_the_workers_phone_pages(
    client, commander, grid_worker, sampled, mass_round
):
    client.force_login(commander)
    response = client.post(reverse("testing:doorknock", args=[mass_round.pk]), {"area": C11})
    assert response.status_code == 302
    # 王芳 and 李娜 live in two households of grid 111; 陈静 in grid 112.
    assert Task.objects.filter(kind="door_knock").count() == 3

    client.force_login(grid_worker)
    page = client.get(reverse("testing:grid_work", args=[mass_round.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "王芳" in html and "李娜" in html and "139****5678" in html and "张伟" not in html
    assert "13912345678" not in html and html.count('data-testid="task-row"') == 2
    assert 'data-testid="unexplained">2<' in html

    listing = client.get(reverse("testing:knock_list", args=[mass_round.pk]))
    assert listing.content.decode().count('data-testid="knock-home"') == 2
    first, second = Task.objects.filter(area_code=G111).order_by("key")
    form = client.get(reverse("testing:knock_household", args=[first.pk]))
    assert form.status_code == 200 and b'data-testid="outcome-form"' in form.content
    refused = client.post(
        reverse("testing:knock_household", args=[first.pk]), {"outcome": "sampled_elsewhere"}
    )
    assert refused.status_code == 422  # where?
    client.post(
        reverse("testing:knock_household", args=[first.pk]),
        {"outcome": "sampled_elsewhere", "where": "郑大一附院"},
    )
    client.post(reverse("testing:knock_household", args=[second.pk]), {"outcome": "away"})
    done = client.get(reverse("testing:knock_list", args=[mass_round.pk])).content.decode()
    assert 'data-testid="full-coverage"' in done
    assert set(Task.objects.filter(area_code=G111).values_list("state", flat=True)) == {"done"}
    # The commander's district page still has 陈静's (112) and 杨磊's (211) households.
    client.force_login(commander)
    district = client.get(reverse("testing:round", args=[mass_round.pk])).content.decode()
    assert 'data-testid="unexplained">2<' in district and "full-coverage" not in district
    # Another grid's list and households are not the grid worker's.
    client.force_login(grid_worker)
    other = client.get(reverse("testing:grid_work", args=[mass_round.pk]), {"grid": G112})
    assert other.status_code == 403
    theirs = Task.objects.get(area_code=G112)
    assert client.get(reverse("testing:knock_household", args=[theirs.pk])).status_code == 403


def test_staff_pick_a_grid(client, commander, sampled, mass_round):
    client.force_login(commander)
    picker = client.get(reverse("testing:grid_work", args=[mass_round.pk]))
    assert picker.status_code == 200 and b'data-testid="grid-picker"' in picker.content
    page = client.get(reverse("testing:grid_work", args=[mass_round.pk]), {"grid": G112})
    assert page.status_code == 200 and "陈静" in page.content.decode()


def test_pooling_advisor_page(client, grid_worker):
    client.force_login(grid_worker)
    page = client.get(
        reverse("testing:pooling"), {"prevalence": "0.01", "max_pool": "20", "population": "6799"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="best-pool">11:1<' in html and 'data-testid="planner"' in html
    assert client.get(reverse("testing:pooling"), {"prevalence": "2"}).status_code == 422
