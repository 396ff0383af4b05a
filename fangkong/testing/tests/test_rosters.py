"""Institution rosters in targeted rounds: a school's people are expected (应检 = residents in
scope + roster members not already among them) and counted when sampled (已检), on the round
page, the coverage map, the dashboard and the planner alike; the roster is imported from Excel
or CSV, per institution, from the round's page or the command line."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from devtools.fixtures import C11, G112
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Community, Grid, Place
from fangkong.people.models import Residency, Resident
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.testing.models import InstitutionRoster, RosterMember
from fangkong.testing.selectors import round_coverage
from fangkong.testing.services.registration import SampleItem, register_samples
from fangkong.testing.services.rosters import attach_roster, import_roster
from fangkong.testing.services.rounds import add_station, create_round, create_tubes

HEADER = ["序号", "姓名", "证件号码", "联系电话", "班级"]


@pytest.fixture
def school(district):
    return Place.objects.create(
        code=f"{C11}-P02",
        name_zh="高新区实验学校",
        kind="school",
        community=Community.objects.get(code=C11),
        grid=Grid.objects.get(code=G112),
        area_code=G112,
    )


@pytest.fixture
def pupils(id_number, resident_documents):
    """Four rows: 张伟 (a resident of another grid), 刘洋 (a resident of the school's grid)
    and two pupils the registry does not know."""
    return [
        ["1", "张伟", resident_documents["张伟"], "13812345678", "三年级一班"],
        ["2", "刘洋", resident_documents["刘洋"], "", "教职工"],
        ["3", "赵小明", id_number("410172", "20150301", 71), "13700007777", "三年级一班"],
        ["4", "钱小红", id_number("410172", "20150402", 82), "", "三年级二班"],
    ]


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["高新区实验学校 学生及教职工名单"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows) -> bytes:
    lines = [",".join(HEADER), *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


@pytest.fixture
def school_round(school, commander):
    return create_round(
        name="实验学校定向筛查", scope_codes=[G112], user=commander, kind="targeted"
    )


def sample(round_, place, tablet, people, now):
    station = add_station(round=round_, place=place, name="学校采样点", devices=[tablet])
    (tube,) = create_tubes(round=round_, count=1)
    items = [
        SampleItem(
            idempotency_key=f"school-{p.pk}",
            tube_barcode=tube.barcode,
            taken_at=now,
            sampling_code=sampling_code_for(p.pk),
        )
        for p in people
    ]
    result = register_samples(station=station, items=items, actor=tablet)
    assert result.accepted == len(people), result.items


def test_a_school_round_expects_its_roster_and_counts_those_sampled(
    school, school_round, pupils, residents, commander, tablet
):
    before = round_coverage(user=commander, round=school_round)
    assert (before.residents, before.tested) == (2, 0)  # 刘洋 and 陈静 live in grid 112

    result = import_roster(
        place=school, source=io.BytesIO(xlsx(pupils)), filename="名单.xlsx", user=commander
    )
    assert (result.members, result.added, result.registered, result.problems) == (4, 4, 2, [])
    attach_roster(round=school_round, roster=result.roster, user=commander)
    new = Resident.objects.filter(name__in=["赵小明", "钱小红"])
    assert {r.residency for r in new} == {Residency.VISITOR}
    assert {r.area_code for r in new} == {G112}
    assert not any("20150301" in r.document_masked for r in new)  # masked, not in clear
    groups = dict(RosterMember.objects.values_list("resident__name", "group"))
    assert groups["赵小明"] == "三年级一班" and groups["刘洋"] == "教职工"

    # 应检 = 2 residents + 张伟 (lives elsewhere) + 2 new pupils; 刘洋 is counted once.
    coverage = round_coverage(user=commander, round=school_round)
    assert (coverage.residents, coverage.tested, coverage.listed) == (5, 0, 3)

    people = {r.name: r for r in Resident.objects.all()}
    sample(
        school_round,
        school,
        tablet,
        [people["张伟"], people["赵小明"], people["刘洋"]],
        timezone.now(),
    )
    coverage = round_coverage(user=commander, round=school_round)
    assert (coverage.residents, coverage.tested) == (5, 3)
    (grid,) = coverage.grids
    assert (grid.code, grid.residents, grid.tested) == (G112, 5, 3)


def test_the_round_page_imports_a_csv_roster_and_shows_the_figures(
    client, school, school_round, pupils, residents, commander
):
    client.force_login(commander)
    page = client.get(reverse("testing:round", args=[school_round.pk]))
    assert 'data-testid="roster-form"' in page.content.decode()
    upload = SimpleUploadedFile("名单.csv", csv_bytes(pupils), content_type="text/csv")
    answer = client.post(
        reverse("testing:round_roster", args=[school_round.pk]),
        {"place": school.pk, "file": upload},
    )
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    page = client.get(reverse("testing:round", args=[school_round.pk]))
    assert page.context["coverage"].residents == 5
    html = page.content.decode()
    assert 'data-testid="roster-people"' in html and "高新区实验学校" in html
    features = client.get(reverse("testing:round_map", args=[school_round.pk])).json()
    (feature,) = features["features"]
    assert feature["properties"]["residents"] == 5


def test_a_roster_with_a_bad_row_imports_nothing_and_names_the_row(
    client, school, school_round, pupils, commander
):
    pupils[2][2] = pupils[2][2][:-1] + ("0" if pupils[2][2][-1] != "0" else "1")
    client.force_login(commander)
    upload = SimpleUploadedFile("名单.xlsx", xlsx(pupils))
    answer = client.post(
        reverse("testing:round_roster", args=[school_round.pk]),
        {"place": school.pk, "file": upload},
    )
    assert answer.status_code == 422
    (problem,) = answer.context["roster_problems"]
    assert problem.row == 5 and problem.field == "document_number"
    assert not InstitutionRoster.objects.exists()
    assert pupils[2][2] not in answer.content.decode()  # the number is not echoed


def test_a_new_import_replaces_the_institutions_roster(school, pupils, residents, commander):
    import_roster(place=school, source=io.BytesIO(xlsx(pupils)), filename="a.xlsx", user=commander)
    again = import_roster(
        place=school, source=io.BytesIO(xlsx(pupils[:2])), filename="b.xlsx", user=commander
    )
    assert (again.members, again.added, again.removed, again.registered) == (2, 0, 2, 0)
    assert RosterMember.objects.count() == 2


def test_a_sampling_site_has_no_roster_and_a_roster_stays_in_its_rounds_areas(
    school, pupils, residents, commander
):
    site = Place.objects.get(code=f"{C11}-P01")
    with pytest.raises(RuleViolation) as refused:
        import_roster(
            place=site, source=io.BytesIO(xlsx(pupils)), filename="a.xlsx", user=commander
        )
    assert refused.value.code == "kind"
    roster = import_roster(
        place=school, source=io.BytesIO(xlsx(pupils)), filename="a.xlsx", user=commander
    ).roster
    other = create_round(name="别处", scope_codes=[f"{C11}-001"], user=commander, kind="targeted")
    with pytest.raises(RuleViolation) as refused:
        attach_roster(round=other, roster=roster, user=commander)
    assert refused.value.code == "out_of_round"


def test_the_command_line_imports_a_roster_into_a_round(
    tmp_path, school, school_round, pupils, residents, commander
):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx(pupils))
    out = io.StringIO()
    call_command(
        "rounds",
        "roster",
        str(path),
        "--place",
        school.code,
        "--user",
        commander.username,
        "--round",
        str(school_round.pk),
        stdout=out,
    )
    assert "4" in out.getvalue()
    assert round_coverage(user=commander, round=school_round).residents == 5
