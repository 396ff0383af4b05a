"""Results files as labs send them: CSV (UTF-8 or GBK), Excel, FHIR R4 bundles."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import Workbook

from fangkong.core.errors import RuleViolation
from fangkong.lab import ingest
from fangkong.lab.ingest import fhir as ingest_fhir
from fangkong.lab.models import LabResult, ResultStatus
from fangkong.lab.services.boxes import hand_box_to_courier, pack_box, receive_box
from fangkong.testing.models import Tube, TubeState
from fangkong.testing.services.registration import register_samples
from fangkong.testing.services.rounds import barcode_for
from fangkong.testing.services.transport import seal_tube

A, B, C = barcode_for(101), barcode_for(102), barcode_for(103)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def mistyped(barcode: str) -> str:
    return barcode[:-1] + str((int(barcode[-1]) + 1) % 10)


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def errors(parsed):
    return [(r.row, r.error.field, r.error.code) for r in parsed.rows if r.error]


# --- CSV and Excel ----------------------------------------------------------------------------


def test_chinese_csv_from_excel_in_gbk_with_a_title_row_is_read():
    text = (
        "金域医学检验实验室 6月13日核酸检测结果,,,,\n"
        "管号,结果,ORF1ab基因Ct值,N基因Ct值,报告时间\n"
        f"{A},阴性,Undetermined,-,2022/6/13 10:30\n"
        "\n"
        f"{B},初筛阳性,34.2,35.0,2022年6月13日 11:05\n"
        f"{C},疑似阳性,,,\n"
    )
    parsed = ingest.parse_csv(text.encode("gbk"))
    assert parsed.unit == "row" and not errors(parsed)
    rows = {r.row: r.item for r in parsed.rows}
    assert set(rows) == {3, 5, 6}  # as the spreadsheet numbers them; the blank row is skipped
    assert (rows[3].result, rows[3].ct_orf1ab, rows[3].ct_n) == ("negative", None, None)
    assert rows[3].reported_at == dt.datetime(2022, 6, 13, 10, 30, tzinfo=SHANGHAI)
    assert (rows[5].result, rows[5].ct_orf1ab, rows[5].ct_n) == (
        "presumptive_positive",
        Decimal("34.2"),
        Decimal("35.0"),
    )
    assert rows[5].reported_at == dt.datetime(2022, 6, 13, 11, 5, tzinfo=SHANGHAI)
    assert rows[6].result == "presumptive_positive" and rows[6].reported_at is None


def test_english_tab_separated_csv_with_a_bom_is_read():
    text = (
        "\ufefftube_barcode\tresult\tct_orf1ab\tct_n\treported_at\n"
        f"{A}\tpositive\t28.1\t29.4\t2022-06-13T10:30:00+08:00\n"
        f"{B}\tInvalid\t\t\t\n"
        f"{C}\tNegative\tN/A\tN/A\t\n"
    )
    parsed = ingest.parse_csv(text.encode("utf-8"))
    assert [(r.row, r.item.result) for r in parsed.rows] == [
        (2, "positive"),
        (3, "invalid"),
        (4, "negative"),
    ]


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("1.23457E+11", "number_cell"),  # Excel's scientific notation: digits lost
        (f"{int(A)}.0", "number_cell"),
        (str(int(A)), "format"),  # leading zeros dropped on the way through Excel
        (mistyped(A), "check_digit"),
        ("", "required"),
        ("ABC123", "format"),
    ],
)
def test_barcodes_excel_mangled_or_mistyped_are_refused_with_the_reason(cell, code):
    parsed = ingest.parse_csv(f"样本编号,检测结果\n{cell},阴性\n{B},阴性\n".encode())
    assert errors(parsed) == [(2, "tube_barcode", code)]
    assert parsed.rows[0].error.message
    assert parsed.rows[1].item.tube_barcode == B  # the good row still goes through


def test_mistyped_barcode_is_explained_as_mistyped():
    with translation.override("en"):
        parsed = ingest.parse_csv(f"管号,结果\n{mistyped(A)},阴性\n".encode())
    assert "Mistyped barcode" in parsed.rows[0].error.message


def test_barcode_with_spaces_as_printed_on_the_label_is_read():
    grouped = " ".join(A[i : i + 4] for i in range(0, 12, 4))
    parsed = ingest.parse_csv(f"管号,结果\n{grouped},阴性\n".encode())
    assert parsed.rows[0].item.tube_barcode == A


def test_every_bad_field_is_named_with_its_row():
    parsed = ingest.parse_csv(
        (f"管号,结果,报告时间\n{A},阴性?,\n{B},,\n{C},阳性,yesterday\n").encode()
    )
    assert errors(parsed) == [
        (2, "result", "choice"),
        (3, "result", "required"),
        (4, "reported_at", "format"),
    ]


def test_excel_number_cells_are_refused_and_text_cells_read():
    content = xlsx(
        [
            ["Tube barcode", "Result", "ORF1ab Ct", "N Ct", "Reported at"],
            [A, "阴性", None, None, dt.datetime(2022, 6, 13, 9, 0)],
            [float(int(B)), "阴性", None, None, None],  # a number cell: zeros and digits lost
            [int(C), "阴性", None, None, None],
            [barcode_for(10**10 + 7), "阳性", 31.25, 30, None],
        ]
    )
    with translation.override("en"):
        parsed = ingest.parse_upload("results.xlsx", content)
    assert parsed.source == "xlsx"
    assert errors(parsed) == [
        (3, "tube_barcode", "number_cell"),
        (4, "tube_barcode", "number_cell"),
    ]
    assert "Text" in parsed.rows[1].error.message
    first, last = parsed.rows[0].item, parsed.rows[3].item
    assert first.reported_at == dt.datetime(2022, 6, 13, 9, 0, tzinfo=SHANGHAI)
    assert (last.ct_orf1ab, last.ct_n) == (Decimal("31.25"), Decimal("30"))


def test_a_file_without_the_needed_columns_is_refused_whole():
    with pytest.raises(RuleViolation) as exc:
        ingest.parse_csv("姓名,身份证号码\n张伟,410172199001010111\n".encode())
    assert (exc.value.field, exc.value.code) == ("file", "columns")
    with pytest.raises(RuleViolation) as exc:
        ingest.parse_upload("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    assert exc.value.code == "xls"
    with pytest.raises(RuleViolation) as exc:
        ingest.parse_upload("broken.xlsx", b"PK\x03\x04 not really a zip")
    assert exc.value.code == "format"


def test_json_items_are_numbered_from_zero():
    parsed = ingest.parse_items(
        [
            {"tube_barcode": A, "result": "negative", "ct_orf1ab": 38.2},
            {"tube_barcode": 123456789012.0, "result": "negative"},
            "not an object",
        ]
    )
    assert parsed.unit == "item"
    assert errors(parsed) == [(1, "tube_barcode", "number_cell"), (2, "item", "type")]
    assert parsed.rows[0].item.ct_orf1ab == Decimal("38.2")


# --- FHIR --------------------------------------------------------------------------------------


def loinc(code, display=None):
    coding = {"system": "http://loinc.org", "code": code}
    if display:
        coding["display"] = display  # FHIR strings are never empty
    return {"coding": [coding]}


def snomed(code):
    return {"coding": [{"system": "http://snomed.info/sct", "code": code}]}


def specimen_entry(uid, barcode):
    return {
        "fullUrl": f"urn:uuid:{uid}",
        "resource": {
            "resourceType": "Specimen",
            "id": uid,
            "accessionIdentifier": {"system": "urn:fangkong:tube", "value": barcode},
        },
    }


def result_entry(specimen, value, components=(), status="final", issued=None):
    resource = {
        "resourceType": "Observation",
        "status": status,
        "code": loinc("94500-6", "SARS-CoV-2 RNA Resp Ql NAA+probe"),
        "specimen": specimen,
        "valueCodeableConcept": snomed(value),
        "component": [
            {"code": loinc(code), "valueQuantity": {"value": ct, "unit": "{Ct_value}"}}
            for code, ct in components
        ],
    }
    if issued:
        resource["issued"] = issued
    return {"resource": resource}


def ct_entry(specimen, code, value):
    return {
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "code": loinc(code),
            "specimen": specimen,
            "valueQuantity": {"value": value},
        }
    }


def bundle(*entries, **extra):
    return {"resourceType": "Bundle", "type": "collection", "entry": list(entries), **extra}


def test_fhir_bundle_maps_results_ct_values_and_tubes():
    data = bundle(
        specimen_entry("s1", A),
        result_entry(
            {"reference": "urn:uuid:s1"},
            "260385009",
            [("94511-3", 38.4), ("94510-5", 37.9)],
            issued="2022-06-13T10:30:00+08:00",
        ),
        result_entry({"identifier": {"value": B}}, "10828004"),
        ct_entry({"identifier": {"value": B}}, "94644-2", 27.5),
        ct_entry({"identifier": {"value": B}}, "94510-5", 28),
        result_entry({"reference": "Specimen/s3"}, "419984006"),
        {"resource": {"resourceType": "Specimen", "id": "s3", "accessionIdentifier": {"value": C}}},
        {"resource": {"resourceType": "Patient", "id": "p"}},
        timestamp="2022-06-13T12:00:00+08:00",
    )
    parsed = ingest.parse_fhir(json.dumps(data).encode())
    assert parsed.unit == "entry" and not errors(parsed)
    items = {r.row: r.item for r in parsed.rows}
    assert set(items) == {1, 2, 5}  # result Observations, by Bundle.entry index
    assert (items[1].tube_barcode, items[1].result) == (A, "negative")
    assert (items[1].ct_orf1ab, items[1].ct_n) == (Decimal("38.4"), Decimal("37.9"))
    assert items[1].reported_at == dt.datetime(2022, 6, 13, 10, 30, tzinfo=SHANGHAI)
    assert (items[2].tube_barcode, items[2].result) == (B, "positive")
    assert (items[2].ct_orf1ab, items[2].ct_n) == (Decimal("27.5"), Decimal("28"))
    assert items[2].reported_at == dt.datetime(2022, 6, 13, 12, 0, tzinfo=SHANGHAI)
    # Inconclusive is treated as a screening positive: the pool is re-sampled at once.
    assert (items[5].tube_barcode, items[5].result) == (C, "presumptive_positive")
    assert parsed.ignored == 5  # 2 specimens, 2 Ct observations merged, 1 patient


@pytest.mark.parametrize(
    ("snomed_code", "result"),
    [
        ("260385009", "negative"),
        ("260415000", "negative"),
        ("10828004", "positive"),
        ("260373001", "positive"),
        ("720735008", "presumptive_positive"),
        ("419984006", "presumptive_positive"),
        ("455371000124106", "invalid"),
        ("125154007", "invalid"),
    ],
)
def test_fhir_result_codes_map_to_results(snomed_code, result):
    parsed = ingest.parse_fhir(bundle(result_entry({"identifier": {"value": A}}, snomed_code)))
    assert parsed.rows[0].item.result == result
    assert ingest_fhir.SNOMED_RESULTS[snomed_code] == result


def test_malformed_fhir_entries_are_refused_by_index_and_field():
    data = bundle(
        result_entry({"identifier": {"value": A}}, "260385009"),
        {
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "x"},
                "valueQuantity": {"value": "abc"},
            }
        },
        result_entry({"identifier": {"value": mistyped(B)}}, "260385009"),
        result_entry({"identifier": {"value": C}}, "999"),
        result_entry({"identifier": {"value": C}}, "260385009", status="cancelled"),
        result_entry({"display": "no tube"}, "260385009"),
        ct_entry({"identifier": {"value": barcode_for(104)}}, "94511-3", 30),
        {"resource": {"resourceType": "NotAResource"}},
    )
    parsed = ingest.parse_fhir(data)
    assert errors(parsed) == [
        (1, "resource.valueQuantity.value", "fhir"),
        (2, "specimen", "check_digit"),
        (3, "valueCodeableConcept", "choice"),
        (4, "status", "status"),
        (5, "specimen", "required"),
        (6, "specimen", "no_result"),
        (7, "resource.resourceType", "fhir"),
    ]
    assert parsed.rows[0].item.tube_barcode == A


def test_an_uploaded_json_file_is_read_as_a_fhir_bundle():
    content = json.dumps(bundle(result_entry({"identifier": {"value": A}}, "260385009")))
    parsed = ingest.parse_upload("lis-export.json", content.encode())
    assert (parsed.source, parsed.rows[0].item.tube_barcode) == ("fhir", A)


def test_what_is_not_a_bundle_is_refused_whole():
    with pytest.raises(RuleViolation) as exc:
        ingest.parse_fhir(b"{not json")
    assert exc.value.code == "json"
    with pytest.raises(RuleViolation) as exc:
        ingest.parse_fhir({"resourceType": "Observation"})
    assert exc.value.code == "resource_type"
    with pytest.raises(RuleViolation) as exc:
        ingest.parse_fhir(bundle(timestamp="yesterday"))
    assert (exc.value.field, exc.value.code) == ("Bundle.timestamp", "fhir")
    with pytest.raises(RuleViolation) as exc:
        ingest.parse_fhir(bundle(specimen_entry("s", A)))
    assert exc.value.code == "empty"


# --- Submitting through record_results ---------------------------------------------------------


@pytest.fixture
def received(station, tubes, tablet, residents, sample_item, id_number, lab, mass_round):
    """Tubes 0 and 1 with people, boxed and received by the lab; tube 2 sealed, not boxed."""
    numbers = [id_number("410172", "19900101", 11), id_number("410102", "19450302", 22)]
    for tube, number in zip(
        tubes[:3], [*numbers, id_number("411302", "19851120", 33)], strict=True
    ):
        register_samples(station=station, items=[sample_item(tube, number)], actor=tablet)
        seal_tube(barcode=tube.barcode, actor=tablet)
    box = pack_box(
        code="BOX-9",
        round=mass_round,
        barcodes=[t.barcode for t in tubes[:2]],
        actor=tablet,
        by="甲",
    )
    hand_box_to_courier(box=box, courier="乙", actor=tablet)
    receive_box(box=box, lab=lab, actor=lab.token, by="丙")
    return tubes


def test_a_file_is_answered_row_by_row_and_readable_rows_are_recorded(received, lab):
    t0, t1, t2 = (t.barcode for t in received[:3])
    content = (
        "管号,结果,ORF1ab Ct,N Ct\n"
        f"{t0},阴性,,\n"
        f"{mistyped(t1)},阴性,,\n"
        f"{t2},阴性,,\n"  # sealed but never received
        f"{barcode_for(99_999)},阴性,,\n"  # no such tube
        f"{t1},阴性,abc,\n"
    ).encode()
    report = ingest.submit_results(
        lab=lab, parsed=ingest.parse_upload("r.csv", content), actor=lab.token
    )
    assert [(r.row, r.status, r.field, r.code) for r in report.rows] == [
        (2, "accepted", None, None),
        (3, "rejected", "tube_barcode", "check_digit"),
        (4, "rejected", "tube_barcode", "not_received"),
        (5, "rejected", "tube_barcode", "unknown"),
        (6, "rejected", "ct_orf1ab", "format"),
    ]
    assert (report.accepted, report.rejected) == (1, 4)
    assert all(r.message for r in report.rows if r.status == "rejected")
    assert Tube.objects.get(barcode=t0).state == TubeState.RESULTED
    assert LabResult.objects.get().source == "csv"


def test_uploading_again_changes_nothing_and_a_conflict_is_held(received, lab):
    t0 = received[0].barcode
    first = ingest.parse_csv(f"管号,结果\n{t0},阴性\n".encode())
    ingest.submit_results(lab=lab, parsed=first, actor=lab.token)
    again = ingest.submit_results(lab=lab, parsed=first, actor=lab.token)
    assert (again.unchanged, again.accepted) == (1, 0)
    other = ingest.parse_csv(f"管号,结果,ORF1ab Ct,N Ct\n{t0},阳性,30,31\n".encode())
    held = ingest.submit_results(lab=lab, parsed=other, actor=lab.token)
    assert held.held == 1 and held.rows[0].status == "held_for_review"
    assert Tube.objects.get(barcode=t0).result == "negative"
    assert list(LabResult.objects.order_by("id").values_list("status", flat=True)) == [
        ResultStatus.ACCEPTED,
        ResultStatus.HELD,
    ]


def test_a_file_of_only_bad_rows_records_nothing(received, lab):
    parsed = ingest.parse_csv(f"管号,结果\n{mistyped(received[0].barcode)},阴性\n".encode())
    report = ingest.submit_results(lab=lab, parsed=parsed, actor=lab.token)
    assert (report.accepted, report.rejected) == (0, 1)
    assert not LabResult.objects.exists()
