"""A real-shaped community ledger (2,000+ rows) imports without losing anything, and a copy
with its columns shuffled gives exactly the same result."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from devtools.fixtures import C11, G111, G211, small_district
from fangkong.core.documents import validate_resident_id
from fangkong.geo.models import Building, Household
from fangkong.geo.services import import_district
from fangkong.people.importing import import_residents
from fangkong.people.models import ConflictState, ImportConflict, Resident
from fangkong.people.services import find_resident_by_document, prepare_resident, register_resident

from .ledger import HEADERS, REJECTED, TAG_OF, generate_ledger, shuffled, workbook_bytes

ROWS = 2000
IMPORTED = ("ok", "village", "converted", "sex_mismatch", "partial_birth")


@pytest.fixture
def ledger_district(district):
    """The test district plus a compound building named as the demo names them
    (瓦屋李新居3号楼) and a village house with one door (大里村5号)."""
    data = small_district()
    communities = [c for s in data["district"]["subdistricts"] for c in s["communities"]]
    grids = {g["code"]: g for c in communities for g in c["grids"]}
    grids[G111]["buildings"].append(
        {
            "code": f"{G111}-003",
            "name_zh": "瓦屋李新居3号楼",
            "floors": 6,
            "entrances": 2,
            "compound": f"{C11}-C01",
        }
    )
    grids[G211]["buildings"].append(
        {"code": f"{G211}-005", "name_zh": "大里村5号", "floors": 2, "rooms_per_floor": 4}
    )
    import_district(data)
    return district


@pytest.fixture
def ledger():
    return generate_ledger(ROWS)


def _stored(ledger, row: int, name: str, commander, phone: str = "13900000000") -> Resident:
    """Register the person of a ledger row before the import, under `name`."""
    home = Household.objects.get(code=f"{G111}-001-1101")
    data = prepare_resident(
        name=name,
        document_type="resident_id",
        document_number=ledger.documents[row],
        phone=phone,
        household=home,
    )
    return register_resident(data=data, user=commander)


def _outcome(result) -> dict:
    """Everything an import reports, in a form two imports can be compared by."""
    return {
        "summary": result.summary(),
        "errors": sorted((e.row, e.field, e.code, e.message) for e in result.errors),
        "notes": sorted((n.row, n.field, n.code, n.message) for n in result.notes),
    }


def _registry() -> list[tuple]:
    """The stored residents as the import left them."""
    return sorted(
        (
            r.document_index,
            r.name,
            r.sex,
            r.birth_date,
            r.residency,
            r.household.code,
            r.phone_index,
            r.document_converted,
            r.needs_follow_up,
            tuple(sorted(t.tag for t in r.tags.all())),
        )
        for r in Resident.objects.select_related("household").prefetch_related("tags")
    )


def test_generated_ledger_imports_and_its_shuffled_copy_gives_the_same_result(
    ledger_district, commander, ledger
):
    first_row = min(ledger.kinds)
    conflict_row = next(r for r in sorted(ledger.rows_of("ok")) if r > first_row)
    stored = _stored(ledger, conflict_row, "王小芳", commander)
    households = set(Household.objects.values_list("pk", flat=True))
    village = set(
        Household.objects.filter(building__code=f"{G211}-005").values_list("pk", flat=True)
    )

    result = import_residents(
        workbook_file=io.BytesIO(workbook_bytes(HEADERS, ledger.rows)), user=commander
    )

    counts = ledger.counts()
    assert sum(counts.values()) == ROWS
    assert result.counts() == {
        "read": ROWS,
        "created": ledger.count(*IMPORTED) - 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": ledger.count(*REJECTED),
        "skipped": 2,  # the totals row and the signature; blank lines are not counted
        "households_created": Household.objects.count() - len(households),
        "conflicts": 1,
        "converted": counts["converted"],
        "sex_mismatch": counts["sex_mismatch"],
        "partial_birth_date": 0,  # 1990.03 agrees with the ID number: not a reason, not a note
    }
    summary = result.summary()
    assert summary["columns_not_read"] == [
        {"column": "所属网格", "why": "not_used", "field": "grid"},
        {"column": "手机号", "why": "duplicate", "field": "phone"},
        {"column": "民族", "why": "unknown", "field": ""},
    ]
    assert summary["to_check"] == {
        "converted_from_15": counts["converted"],
        "name_conflict": 1,
        "sex_mismatch": counts["sex_mismatch"],
    }

    # One row number everywhere: the source's, for every reason of every refused row.
    by_row: dict[int, set[str]] = {}
    for e in result.errors:
        by_row.setdefault(e.row, set()).add(e.code)
    assert set(by_row) == {r for r, k in ledger.kinds.items() if k in REJECTED}
    for row in ledger.rows_of("many_reasons"):
        assert by_row[row] == {"check_digit", "choice", "format"}  # all three, not the first
    for row in ledger.rows_of("duplicate"):
        # Another person's details with a number used above: its birth date disagrees too.
        assert by_row[row] == {"duplicate_in_file", "mismatch"}
    unknown = next(e for e in result.errors if e.code == "unknown")
    assert "1号楼、2号楼、瓦屋李新居3号楼" in unknown.message

    # The stored person is never overwritten: the row waits for review.
    stored.refresh_from_db()
    assert (stored.name, stored.household.code, stored.phone_masked) == (
        "王小芳",
        f"{G111}-001-1101",
        "139****0000",
    )
    conflict = ImportConflict.objects.get(resident=stored)
    assert (conflict.state, conflict.source_row) == (ConflictState.OPEN, conflict_row)

    # Village rows without 单元 are the households already stored, not copies of them.
    assert (
        set(Household.objects.filter(building__code=f"{G211}-005").values_list("pk", flat=True))
        == village
    )
    for row in ledger.rows_of("converted"):
        old = ledger.documents[row]
        person = find_resident_by_document("resident_id", validate_resident_id(old).number)
        assert len(old) == 15 and person.document_converted and person.needs_follow_up
    assert Resident.objects.filter(document_converted=True).count() == counts["converted"]
    # 人员类别 holds special groups as well as residencies: they become tags.
    for row in sorted(ledger.rows_of("ok"))[:300]:
        category = ledger.rows[row - ledger.first_row][HEADERS.index("人员类别")]
        if row == conflict_row or category not in TAG_OF:
            continue
        person = find_resident_by_document("resident_id", ledger.documents[row])
        assert {t.tag for t in person.tags.all()} == TAG_OF[category]
        assert person.residency == "registered"

    # The error workbook: every refused row, its source row number, ID cells as text.
    sheet = load_workbook(io.BytesIO(result.error_workbook)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][-2:]) == ["原行号", "错误原因"]
    assert {r[-2] for r in rows[1:]} == set(by_row)
    id_column = HEADERS.index("身份证号码") + 1
    assert {sheet.cell(row=i, column=id_column).data_type for i in range(2, len(rows) + 1)} == {"s"}

    first, registry = _outcome(result), _registry()
    # Start again from the same registry and import the shuffled copy.
    ImportConflict.objects.all().delete()
    Resident.objects.exclude(pk=stored.pk).delete()
    Household.objects.exclude(pk__in=households).delete()
    headers, rows_shuffled = shuffled(HEADERS, ledger.rows)
    assert headers != HEADERS

    again = import_residents(
        workbook_file=io.BytesIO(workbook_bytes(headers, rows_shuffled)), user=commander
    )

    assert _outcome(again) == first
    assert _registry() == registry


def test_reimporting_the_ledger_changes_nothing_and_keeps_the_conflict_open(
    ledger_district, commander, ledger
):
    conflict_row = min(ledger.rows_of("ok"))
    _stored(ledger, conflict_row, "王小芳", commander)
    content = workbook_bytes(HEADERS, ledger.rows)
    first = import_residents(workbook_file=io.BytesIO(content), user=commander)

    again = import_residents(workbook_file=io.BytesIO(content), user=commander)

    assert (again.created, again.updated, again.households_created) == (0, 0, 0)
    assert again.unchanged == first.created
    assert again.conflicts == 1
    assert ImportConflict.objects.filter(state=ConflictState.OPEN).count() == 1
    assert Building.objects.filter(code=f"{G211}-005").get().households.count() == 8
