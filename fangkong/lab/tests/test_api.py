"""The transport and lab interfaces over HTTP: /api/v1/lab/… with device tokens. The lab
pages are in test_pages."""

import io
import json
from decimal import Decimal

import pytest
from openpyxl import Workbook

from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.core.models import AuditAction, AuditEntry, IdempotencyKey
from fangkong.lab.models import BoxState, Lab, LabResult, TransportBox
from fangkong.testing.models import RetestOrder, Tube, TubeState
from fangkong.testing.services.registration import register_samples
from fangkong.testing.services.rounds import barcode_for
from fangkong.testing.services.transport import seal_tube

API = "/api/v1/lab"
_keys = iter(range(10**6))


def call(client, method, path, token, body=None, key=True, **extra):
    headers = {"Authorization": f"Bearer {token.clear}"}
    if key:
        headers["Idempotency-Key"] = key if isinstance(key, str) else f"key-{next(_keys)}"
    if method == "get":
        return client.get(API + path, headers=headers)
    if extra.pop("multipart", False):
        return client.post(API + path, body, headers=headers)
    if body is not None and "content_type" not in extra:
        body, extra["content_type"] = json.dumps(body), "application/json"
    return client.post(API + path, body, headers=headers, **extra)


def mistyped(barcode: str) -> str:
    return barcode[:-1] + str((int(barcode[-1]) + 1) % 10)


@pytest.fixture
def sealed(station, tubes, tablet, residents, sample_item, id_number):
    """Tube 0 with three people, tube 1 with one; both sealed."""
    numbers = [
        id_number("410172", "19900101", 11),
        id_number("410102", "19450302", 22),
        id_number("411302", "19851120", 33),
    ]
    register_samples(
        station=station, items=[sample_item(tubes[0], n) for n in numbers], actor=tablet
    )
    register_samples(
        station=station,
        items=[sample_item(tubes[1], id_number("410172", "19700707", 44))],
        actor=tablet,
    )
    for tube in tubes[:2]:
        seal_tube(barcode=tube.barcode, actor=tablet)
    return tubes


@pytest.fixture
def received(client, sealed, tablet, lab, mass_round):
    """Tubes 0 and 1 packed, carried and received by the lab, all over HTTP."""
    body = {
        "code": "BOX-001",
        "round": mass_round.pk,
        "barcodes": [t.barcode for t in sealed[:2]],
        "by": "采样员甲",
    }
    assert call(client, "post", "/boxes", tablet, body).status_code == 201
    answer = call(client, "post", "/boxes/BOX-001/handover", tablet, {"courier": "转运员乙"})
    assert answer.status_code == 200
    answer = call(client, "post", "/boxes/BOX-001/receive", lab.token, {"by": "检验员丙"})
    assert answer.status_code == 200, answer.content
    return sealed


@pytest.fixture
def other_lab(commander):
    token, clear = create_device_token(
        name="另一实验室", role=Role.LAB_TECHNICIAN, scope_code="410172", created_by=commander
    )
    token.clear = clear
    other = Lab.objects.create(name="另一实验室")
    other.devices.add(token)
    other.token = token
    return other


def denials():
    return AuditEntry.objects.filter(action=AuditAction.PERMISSION_DENIED)


# --- Boxes -------------------------------------------------------------------------------------


def test_a_box_travels_to_the_lab_with_its_chain_of_custody(client, received, lab):
    box = call(client, "get", "/boxes/BOX-001", lab.token).json()
    assert box["state"] == BoxState.RECEIVED and box["lab"] == lab.name
    assert [(e["kind"], e["by"]) for e in box["custody"]] == [
        ("packed", "采样员甲"),
        ("handed", "转运员乙"),
        ("received", "检验员丙"),
    ]
    assert box["custody"][0]["at"] <= box["custody"][1]["at"] <= box["custody"][2]["at"]
    assert [(t["barcode"], t["state"], t["sample_count"]) for t in box["tubes"]] == [
        (received[0].barcode, TubeState.RECEIVED, 3),
        (received[1].barcode, TubeState.RECEIVED, 1),
    ]


def test_a_retried_write_gets_the_first_answer_and_writes_nothing(
    client, sealed, tablet, mass_round
):
    body = {"code": "BOX-7", "round": mass_round.pk, "barcodes": [sealed[0].barcode], "by": "甲"}
    first = call(client, "post", "/boxes", tablet, body, key="pack-1")
    again = call(client, "post", "/boxes", tablet, body, key="pack-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert TransportBox.objects.count() == 1
    reused = call(client, "post", "/boxes", tablet, {**body, "code": "BOX-8"}, key="pack-1")
    assert reused.status_code == 409
    assert reused.json()["errors"][0]["code"] == "reused"
    missing = call(client, "post", "/boxes", tablet, {**body, "code": "BOX-9"}, key=False)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "Idempotency-Key"
    assert TransportBox.objects.count() == 1


def test_a_refused_write_can_be_retried_with_the_same_key(client, sealed, tablet, mass_round):
    body = {"code": "BOX-7", "round": mass_round.pk, "barcodes": [sealed[2].barcode], "by": "甲"}
    refused = call(client, "post", "/boxes", tablet, body, key="k")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "illegal_transition"  # tube 2 is still open
    assert not IdempotencyKey.objects.exists()


def test_only_the_labs_own_token_receives_and_refusals_are_audited(
    client, sealed, tablet, mass_round, other_lab, lab
):
    body = {"code": "BOX-1", "round": mass_round.pk, "barcodes": [sealed[0].barcode], "by": "甲"}
    call(client, "post", "/boxes", tablet, body)
    early = call(client, "post", "/boxes/BOX-1/receive", lab.token, {})
    assert early.status_code == 409  # not handed to a courier yet
    call(client, "post", "/boxes/BOX-1/handover", tablet, {"courier": "乙"})
    by_sampler = call(client, "post", "/boxes/BOX-1/receive", tablet, {})
    assert by_sampler.status_code == 403
    assert denials().exists()
    ok = call(
        client, "post", "/boxes/BOX-1/receive", other_lab.token, "", content_type="application/json"
    )  # no body: received "by" the token's name
    assert ok.status_code == 200 and ok.json()["lab"] == other_lab.name
    assert ok.json()["received_by"] == "另一实验室"
    unknown = call(client, "get", "/boxes/NOPE", lab.token)
    assert unknown.status_code == 404


def test_a_tablet_of_another_area_cannot_read_a_box(client, received, commander):
    token, clear = create_device_token(
        name="大里村 1号台", role=Role.SAMPLER, scope_code="410172-002-001", created_by=commander
    )
    token.clear = clear
    before = denials().count()
    assert call(client, "get", "/boxes/BOX-001", token).status_code == 403
    assert denials().count() > before


# --- Results -----------------------------------------------------------------------------------


def test_json_results_are_answered_item_by_item(client, received, lab):
    t0, t1, t2 = (t.barcode for t in received[:3])
    answer = call(
        client,
        "post",
        "/results",
        lab.token,
        [
            {"tube_barcode": t0, "result": "negative", "ct_orf1ab": None, "ct_n": None},
            {"tube_barcode": mistyped(t1), "result": "negative"},
            {"tube_barcode": 123456789012.0, "result": "negative"},
            {"tube_barcode": t2, "result": "negative"},  # open, never boxed
            {"tube_barcode": t1, "result": "maybe"},
        ],
    )
    assert answer.status_code == 200, answer.content
    report = answer.json()
    assert report["unit"] == "item" and report["source"] == "api"
    assert [(r["row"], r["status"], r["code"]) for r in report["rows"]] == [
        (0, "accepted", None),
        (1, "rejected", "check_digit"),
        (2, "rejected", "number_cell"),
        (3, "rejected", "not_received"),
        (4, "rejected", "choice"),
    ]
    assert (report["accepted"], report["rejected"]) == (1, 4)
    assert Tube.objects.get(barcode=t0).state == TubeState.RESULTED
    assert LabResult.objects.count() == 1


def test_results_for_a_tube_another_lab_received_are_refused_whole_and_audited(
    client, received, other_lab
):
    answer = call(
        client,
        "post",
        "/results",
        other_lab.token,
        [{"tube_barcode": received[0].barcode, "result": "negative"}],
    )
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["code"] == "other_lab"
    assert denials().count() == 1  # audited once, with the device's role
    assert denials().get(object_id=received[0].barcode).role == other_lab.token.role
    assert not LabResult.objects.exists()


def test_devices_and_users_without_a_lab_cannot_post_results(client, received, tablet, commander):
    answer = call(
        client,
        "post",
        "/results",
        tablet,
        [{"tube_barcode": received[0].barcode, "result": "阴性"}],
    )
    assert answer.status_code == 403
    client.force_login(commander)
    answer = client.post(
        API + "/results",
        json.dumps([{"tube_barcode": received[0].barcode, "result": "negative"}]),
        content_type="application/json",
        headers={"Idempotency-Key": "x"},
    )
    assert answer.status_code == 403 and answer.json()["errors"][0]["code"] == "no_lab"
    assert not LabResult.objects.exists()


def test_a_positive_pool_posted_as_a_fhir_bundle_starts_the_response(client, received, lab):
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:s1",
                "resource": {
                    "resourceType": "Specimen",
                    "accessionIdentifier": {"value": received[0].barcode},
                },
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "preliminary",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "94500-6"}]},
                    "specimen": {"reference": "urn:uuid:s1"},
                    "valueCodeableConcept": {
                        "coding": [{"system": "http://snomed.info/sct", "code": "419984006"}]
                    },
                    "component": [
                        {
                            "code": {
                                "coding": [{"system": "urn:fangkong:ct-target", "code": "ORF1ab"}]
                            },
                            "valueQuantity": {"value": 36.2},
                        },
                        {
                            "code": {"coding": [{"system": "urn:fangkong:ct-target", "code": "N"}]},
                            "dataAbsentReason": {"text": "no amplification"},
                        },
                    ],
                },
            },
            {"resource": {"resourceType": "Observation", "status": "final"}},
        ],
    }
    answer = call(
        client,
        "post",
        "/results/fhir",
        lab.token,
        json.dumps(bundle),
        content_type="application/fhir+json",
    )
    assert answer.status_code == 200, answer.content
    report = answer.json()
    assert [(r["row"], r["status"]) for r in report["rows"]] == [
        (1, "accepted"),
        (2, "rejected"),
    ]
    assert report["rows"][0]["retest_orders"] == 3
    assert report["rows"][1]["field"] == "resource.code"
    result = LabResult.objects.get()
    assert (result.result, result.ct_orf1ab, result.ct_n, result.source) == (
        "presumptive_positive",
        Decimal("36.2"),
        None,
        "fhir",
    )
    assert RetestOrder.objects.count() == 3
    not_json = call(
        client, "post", "/results/fhir", lab.token, "{oops", content_type="application/fhir+json"
    )
    assert not_json.status_code == 422 and not_json.json()["errors"][0]["code"] == "json"


def workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_file_is_uploaded_and_every_row_answered(client, received, lab):
    t0, t1 = received[0].barcode, received[1].barcode
    content = workbook(
        [
            ["样本编号", "检测结果", "ORF1ab Ct", "N Ct"],
            [t0, "阴性", None, None],
            [float(int(t1)), "阴性", None, None],
            [t1, "阳性", 29.5, 30.1],
        ]
    )
    upload = io.BytesIO(content)
    upload.name = "结果.xlsx"
    answer = call(
        client, "post", "/results/upload", lab.token, {"file": upload}, key="up-1", multipart=True
    )
    assert answer.status_code == 200, answer.content
    rows = answer.json()["rows"]
    assert [(r["row"], r["status"], r["code"]) for r in rows] == [
        (2, "accepted", None),
        (3, "rejected", "number_cell"),
        (4, "accepted", None),
    ]
    assert rows[2]["retest_orders"] == 1
    upload.seek(0)
    again = call(
        client, "post", "/results/upload", lab.token, {"file": upload}, key="up-1", multipart=True
    )
    assert again.json() == answer.json() and again["Idempotent-Replayed"] == "true"
    assert LabResult.objects.count() == 2


# --- Tubes -------------------------------------------------------------------------------------


def test_a_tube_lookup_shows_state_count_and_result_but_nobody_in_it(
    client, received, lab, residents
):
    barcode = received[0].barcode
    call(
        client,
        "post",
        "/results",
        lab.token,
        [{"tube_barcode": barcode, "result": "阴性", "ct_orf1ab": "38"}],
    )
    answer = call(client, "get", f"/tubes/{barcode}", lab.token)
    assert answer.status_code == 200
    tube = answer.json()
    assert (tube["state"], tube["sample_count"], tube["result"], tube["box"]) == (
        TubeState.RESULTED,
        3,
        "negative",
        "BOX-001",
    )
    assert tube["results"][0]["ct_orf1ab"] == 38.0
    text = answer.content.decode()
    for person in residents:
        assert person.name not in text
    assert "resident" not in text and "document" not in text
    assert call(client, "get", f"/tubes/{mistyped(barcode)}", lab.token).status_code == 422
    assert call(client, "get", f"/tubes/{barcode_for(99_999)}", lab.token).status_code == 404


# --- Pages -------------------------------------------------------------------------------------


def test_a_nul_character_in_one_result_refuses_that_item_not_the_batch(client, received, lab):
    t0, t1 = (t.barcode for t in received[:2])
    answer = call(
        client,
        "post",
        "/results",
        lab.token,
        [
            {"tube_barcode": t0, "result": "negative"},
            {"tube_barcode": t1, "result": "nega\u0000tive"},
            {"tube_barcode": t1 + "\u0000", "result": "negative"},
        ],
    )
    assert answer.status_code == 200, answer.content
    report = answer.json()
    assert [r["status"] for r in report["rows"]] == ["accepted", "rejected", "rejected"]
    assert LabResult.objects.count() == 1
