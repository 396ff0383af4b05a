"""`fangkong import …` and `fangkong export …` (the import_data / export_data commands)."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from devtools.fixtures import G111, G112, D, small_district
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.geo.models import Building, Grid
from fangkong.people.models import Resident
from fangkong.people.tests.test_import import person, roster


@pytest.fixture(autouse=True)
def english(settings):
    """The commands speak settings.LANGUAGE_CODE (Chinese); these tests read English."""
    settings.LANGUAGE_CODE = "en"


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def roster_file(tmp_path, id_number):
    home = {"compound": "瓦屋李新居", "building": "1号楼", "entrance": "1", "room": "101"}
    path = tmp_path / "瓦屋李社区.xlsx"
    path.write_bytes(
        roster(
            [
                person(name="赵一", document_number=id_number("410172", "19800101", 1), **home),
                person(name="钱二", document_number=id_number("410172", "19800101", 3), **home),
                person(name="坏号", document_number="410172198001019999", **home),
            ]
        ).getvalue()
    )
    return path


def test_import_residents_prints_counts_and_writes_the_rejected_rows(
    commander, roster_file, tmp_path
):
    errors = tmp_path / "errors.xlsx"
    out, err = run(
        "import_data", "residents", roster_file, "--user", commander.username, "--errors", errors
    )

    assert "created 2" in out and "rejected 1" in out
    assert "Row 5 — 证件号码: " in err  # title, header, then the third person
    rows = list(load_workbook(errors).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["坏号"]
    assert Resident.objects.count() == 2

    again, _err = run("import_data", "residents", roster_file, "--user", commander.username)
    assert "created 0" in again and "unchanged 2" in again
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT).count() == 2


def test_import_without_errors_file_says_how_to_get_one(commander, roster_file):
    _out, err = run("import_data", "residents", roster_file, "--user", commander.username)
    assert "--errors" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody"], "nobody"),
        (["--user", "grid_worker"], "residents"),  # no import permission: field of the refusal
    ],
)
def test_import_refusals_exit_non_zero(grid_worker, roster_file, args, message):
    args = [grid_worker.username if a == "grid_worker" else a for a in args]
    with pytest.raises(CommandError) as exc:
        run("import_data", "residents", roster_file, *args)
    assert message in str(exc.value)
    assert not Resident.objects.exists()


def test_unreadable_workbook_and_missing_file_exit_non_zero(commander, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"this is no workbook")
    with pytest.raises(CommandError) as exc:
        run("import_data", "residents", bad, "--user", commander.username)
    assert str(exc.value).startswith("file: ")
    with pytest.raises(CommandError):
        run("import_data", "residents", tmp_path / "missing.xlsx", "--user", commander.username)


def test_import_district_creates_then_updates_the_area_tree(db, tmp_path):
    data = small_district()
    path = tmp_path / "district.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    out, _err = run("import_data", "district", path)
    assert "grids 3" in out
    assert Grid.objects.count() == 3

    grid = data["district"]["subdistricts"][0]["communities"][0]["grids"][0]
    grid["buildings"].append({"code": f"{G111}-003", "name_zh": "3号楼", "floors": 2})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out, _err = run("import_data", "district", path)
    assert "buildings 1" in out
    assert Building.objects.filter(code=f"{G111}-003").exists()


def test_import_district_refuses_bad_yaml(db, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("district: [unclosed", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        run("import_data", "district", path)
    assert "file" in str(exc.value)


def test_export_residents_writes_a_masked_workbook_and_is_audited(commander, residents, tmp_path):
    out_file = tmp_path / "export.xlsx"
    out, _err = run(
        "export_data", "residents", out_file, "--user", commander.username, "--area", G112
    )
    assert "Exported 2 residents" in out
    rows = list(load_workbook(out_file).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[2:]] == ["刘洋", "陈静"]
    assert rows[2][6] == "137****1111"
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.detail == {"filters": {"area_code": G112}, "rows": 2}


def test_export_residents_by_tag(commander, residents, tmp_path):
    out_file = tmp_path / "export.xlsx"
    run("export_data", "residents", out_file, "--user", commander.username, "--tag", "infant")
    rows = list(load_workbook(out_file).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[2:]] == ["李娜"]


def test_export_residents_refuses_a_role_without_the_permission(grid_worker, tmp_path):
    with pytest.raises(CommandError):
        run("export_data", "residents", tmp_path / "x.xlsx", "--user", grid_worker.username)
    assert not (tmp_path / "x.xlsx").exists()


def test_export_geojson_to_stdout_and_to_a_file(district, tmp_path):
    out, _err = run("export_data", "geojson", "--level", "grid")
    collection = json.loads(out)
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 3

    path = tmp_path / "shapes.geojson"
    run("export_data", "geojson", "--level", "building", "--scope", G112, "-o", path)
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["code"] for f in features} == {f"{G112}-001", f"{G112}-002"}


def test_export_geojson_refuses_an_unknown_level(district):
    with pytest.raises(CommandError) as exc:
        run("export_data", "geojson", "--level", "planet", "--scope", D)
    assert str(exc.value).startswith("level: ")
