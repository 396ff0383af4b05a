"""Seeding the database: exact counts, a reachable tree, encrypted identities, determinism,
refusal and replacement, demo accounts and the two commands."""

import datetime as dt
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.models import Role, User
from fangkong.accounts.services import check_login
from fangkong.core import crypto
from fangkong.core.areas import AreaCode
from fangkong.core.errors import RuleViolation
from fangkong.core.masking import mask_document, mask_phone
from fangkong.demo.accounts import DEMO_LAB, DEMO_PASSWORD, ensure_demo_accounts
from fangkong.demo.population import AS_OF
from fangkong.demo.rounds import DEMO_TUBES, ensure_sampler_station
from fangkong.demo.seed import clear_demo, is_seeded, seed_demo
from fangkong.demo.shapes import bounds
from fangkong.geo.models import Building, Community, Compound, District, Grid, Household, Place
from fangkong.governance.models import GovCase, Unit
from fangkong.people.models import Resident, ResidentTag, age_on
from fangkong.people.services import DOCUMENT_CONTEXT, PHONE_CONTEXT, document_index, phone_index
from fangkong.testing.models import TestingRound as Round
from fangkong.testing.selectors.phase import RoundPhase, round_phase
from fangkong.testing.views_sampler import sampler_stations

D = "410172"
N = 1200


@pytest.fixture
def fast_hashing(settings):
    # Argon2 is deliberately slow; these tests create and check accounts many times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded(db):
    return seed_demo(residents=N, seed=7, progress=False)


def _digest() -> str:
    h = hashlib.sha256()
    rows = Resident.objects.order_by("document_index").values_list(
        "name", "document_index", "household__code", "phone_index", "birth_date"
    )
    for row in rows:
        h.update(repr(row).encode())
    tree = Building.objects.order_by("code").values_list("code", "name_zh", "floors", "geometry")
    for row in tree:
        h.update(repr(row).encode())
    return h.hexdigest()


def test_exactly_the_asked_number_of_residents_in_a_reachable_tree(seeded):
    assert seeded.residents == Resident.objects.count() == N
    assert seeded.households == Household.objects.filter(residents__isnull=False).distinct().count()
    assert seeded.flats == Household.objects.count() > seeded.households
    assert seeded.buildings == Building.objects.count()
    assert seeded.grids == Grid.objects.count() == 11
    assert seeded.communities == Community.objects.count() == 11
    assert Community.objects.get(name_zh="大里村").kind == "village"
    assert Compound.objects.get(name_zh="瓦屋李新居").community.name_zh == "瓦屋李社区"
    assert Place.objects.get(name_zh="瓦屋李采样小屋").kind == "sampling_site"
    # Every household hangs off the district through building, grid, community, sub-district.
    reachable = Household.objects.filter(building__grid__community__subdistrict__district__code=D)
    assert reachable.count() == Household.objects.count()
    assert not Resident.objects.filter(household__isnull=True).exists()
    for r in Resident.objects.select_related("household__building__grid")[:300]:
        assert r.area_code == r.household.area_code == r.household.building.grid.code
    assert seeded.seconds > 0 and seeded.residents_per_s > 0


def test_identity_and_phone_are_stored_like_the_rest_of_the_app(seeded):
    rows = list(Resident.objects.all())
    assert len({r.document_index for r in rows}) == N
    for r in rows[:200]:
        number = crypto.decrypt(r.document_cipher, context=DOCUMENT_CONTEXT)
        assert r.document_index == document_index("resident_id", number)
        assert r.document_masked == mask_document(number)
        assert number[6:14] == f"{r.birth_date:%Y%m%d}"
        assert (int(number[16]) % 2 == 1) == (r.sex == "M")
        if r.phone_cipher:
            phone = crypto.decrypt(r.phone_cipher, context=PHONE_CONTEXT)
            assert r.phone_index == phone_index(phone)
            assert r.phone_masked == mask_phone(phone)
    assert Resident.objects.filter(residency="floating").exists()


def test_tags_are_written_and_follow_their_rules(seeded):
    sizes = dict(Household.objects.annotate(n=Count("residents")).values_list("id", "n"))
    tagged = collections_of_tags()
    for r in Resident.objects.all():
        age = age_on(r.birth_date, AS_OF)
        tags = tagged.get(r.pk, set())
        assert ("elderly_alone" in tags) == (sizes[r.household_id] == 1 and age >= 65)
        assert ("infant" in tags) == (age < 3)
        assert ("medical_trips" in tags) == bool(r.note)
    assert ResidentTag.objects.filter(tag="student").exists()


def collections_of_tags():
    out = {}
    for resident_id, tag in ResidentTag.objects.values_list("resident_id", "tag"):
        out.setdefault(resident_id, set()).add(tag)
    return out


def test_buildings_lie_inside_their_grid_and_grids_inside_their_community(seeded):
    for b in Building.objects.select_related("grid__community"):
        g = bounds(b.grid.geometry)
        w, s, e, n = bounds(b.geometry)
        assert g[0] <= w < e <= g[2] and g[1] <= s < n <= g[3]
        c = bounds(b.grid.community.geometry)
        assert c[0] <= g[0] and c[1] <= g[1] and g[2] <= c[2] and g[3] <= c[3]
        assert b.floors in range(3, 8) or 18 <= b.floors <= 33


def test_same_residents_and_seed_give_the_same_district(db):
    seed_demo(residents=600, seed=11, progress=False)
    first = _digest()
    seed_demo(residents=600, seed=11, progress=False, replace=True)
    assert _digest() == first
    seed_demo(residents=600, seed=12, progress=False, replace=True)
    assert _digest() != first


def test_a_seeded_database_is_refused_unless_replaced(seeded):
    with pytest.raises(RuleViolation) as exc:
        seed_demo(residents=100, seed=1, progress=False)
    assert exc.value.code == "already_seeded"
    assert Resident.objects.count() == N
    result = seed_demo(residents=100, seed=1, progress=False, replace=True)
    assert result.residents == Resident.objects.count() == 100
    clear_demo()
    assert not is_seeded()
    assert not District.objects.exists() and not Household.objects.exists()


def test_one_demo_account_per_role_with_the_shared_password(seeded, fast_hashing):
    rows = ensure_demo_accounts()
    assert sorted(r.role for r in rows) == sorted(Role.values)
    by_name = {r.username: r for r in rows}
    assert by_name["commander"].scope_code == D
    assert by_name["wutong"].scope_name == "梧桐街办事处"
    assert by_name["wawuli"].scope_name == "瓦屋李社区"
    assert by_name["grid1"].scope_name == "瓦屋李社区第一网格"
    assert by_name["guard"].scope_name == "春藤社区"
    assert all(r.password == DEMO_PASSWORD and r.created for r in rows)
    commander = User.objects.get(username="commander")
    assert commander.is_staff and commander.is_superuser
    assert not User.objects.get(username="grid1").is_staff
    for r in rows:
        assert check_login(username=r.username, password=DEMO_PASSWORD) is not None

    # Again: nothing new, and a password someone changed is kept and not shown.
    user = User.objects.get(username="lab")
    user.set_password("another-long-password")
    user.save()
    again = {r.username: r for r in ensure_demo_accounts()}
    assert User.objects.count() == len(Role.values)
    assert not any(r.created for r in again.values())
    assert again["lab"].password == "" and again["auditor"].password == DEMO_PASSWORD


def test_the_lab_account_works_in_the_district_lab(seeded, fast_hashing, client):
    ensure_demo_accounts()
    ensure_demo_accounts()  # again: still one lab, one member
    lab = User.objects.get(username="lab")
    assert [str(x) for x in lab.labs.all()] == [DEMO_LAB]
    assert lab.labs.get().members.count() == 1
    client.force_login(lab)
    assert client.get(reverse("lab:home")).status_code == 200


def test_the_sampler_account_is_on_a_station_of_a_sampling_round(seeded, fast_hashing, client):
    """Before, the sampler page of a fresh demo said there was no station: nothing to do."""
    ensure_demo_accounts()
    ensure_demo_accounts()  # again: the same station, no second round
    sampler = User.objects.get(username="sampler")
    stations = list(sampler_stations(sampler))
    assert len(stations) == 1
    station = stations[0]
    assert round_phase(round=station.round, now=timezone.now()) == RoundPhase.SAMPLING
    assert str(station.site.place) == "瓦屋李采样小屋"
    assert station.round.tubes.count() == DEMO_TUBES
    client.force_login(sampler)
    page = client.get(reverse("testing:sampler"), follow=True)
    assert page.status_code == 200
    assert station.name in page.content.decode()
    # Its window over, the next run opens a new round rather than leave the sampler idle.
    later = station.round.due_at + dt.timedelta(minutes=1)
    fresh = ensure_sampler_station(user=sampler, now=later)
    assert fresh.round_id != station.round_id
    # The district can still be generated again: the untouched demo rounds go with it.
    seed_demo(residents=300, seed=7, progress=False, replace=True)
    assert not Round.objects.exists()


def test_no_demo_accounts_in_production_or_without_the_district(db, settings):
    assert ensure_demo_accounts() == []  # nothing to scope them to
    settings.PRODUCTION = True
    with pytest.raises(RuleViolation):
        ensure_demo_accounts()


def test_seed_command_refuses_then_replaces(db, fast_hashing):
    out = io.StringIO()
    call_command("seed", residents=300, seed=3, quiet=True, stdout=out)
    text = out.getvalue()
    assert "300" in text and "commander" in text and DEMO_PASSWORD in text
    with pytest.raises(CommandError, match="--replace"):
        call_command("seed", residents=300, seed=3, quiet=True, stdout=io.StringIO())
    call_command("seed", residents=200, seed=3, quiet=True, replace=True, stdout=io.StringIO())
    assert Resident.objects.count() == 200
    assert User.objects.count() == len(Role.values)


def test_demo_command_seeds_once_and_prints_accounts_and_address(db, fast_hashing):
    out = io.StringIO()
    call_command(
        "demo", "--no-serve", "--quiet", "--residents", "250", "--port", "8123", stdout=out
    )
    text = out.getvalue()
    assert Resident.objects.count() == 250
    for username in ("commander", "wutong", "wawuli", "grid1", "sampler", "lab", "guard"):
        assert username in text
    assert "http://127.0.0.1:8123/" in text and DEMO_PASSWORD in text
    call_command("demo", "--no-serve", "--residents", "999", stdout=io.StringIO())
    assert Resident.objects.count() == 250  # an existing district is used as it is


def test_the_grid_worker_and_the_reporter_can_report_a_matter(seeded, fast_hashing, client):
    """Before, their first report was refused: no unit received matters in the demo."""
    ensure_demo_accounts()
    ensure_demo_accounts()  # again: no second unit anywhere
    assert Unit.objects.count() == len(set(Unit.objects.values_list("area_code", flat=True)))
    grid1 = User.objects.get(username="grid1")
    client.force_login(grid1)
    response = client.post(
        reverse("governance:intake"),
        {"kind": "rubbish", "title": "楼道堆放杂物", "area_code": grid1.scope_code},
    )
    assert response.status_code == 302, response.content.decode()[:800]
    case = GovCase.objects.get(title="楼道堆放杂物")
    assert case.owner_unit.area_code == AreaCode(grid1.scope_code).community
