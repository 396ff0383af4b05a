"""The document field of a registration batch: a number sent as a JSON number is one item's
problem, and a first-generation 15-digit number keeps saying so once the person is stored."""

from __future__ import annotations

from fangkong.core.documents import validate_resident_id
from fangkong.people.models import Resident
from fangkong.people.services import find_resident_by_document
from fangkong.testing.api import BatchOut
from fangkong.testing.models import Sample
from fangkong.testing.services.registration import register_samples


def test_a_json_number_in_the_document_field_refuses_that_item_not_the_batch(
    client, station, tubes, tablet, residents, resident_documents, now
):
    def item(key: str, number: object) -> dict:
        return {
            "idempotency_key": key,
            "tube_barcode": tubes[0].barcode,
            "taken_at": now.isoformat(),
            "document_number": number,
        }

    response = client.post(
        "/api/v1/testing/samples",
        {
            "station": station.pk,
            "items": [
                item("n1", resident_documents["张伟"]),
                item("n2", 410172199001011100),  # what a device that parsed the scan sends
                item("n3", 12345678.0),
                item("n4", True),
            ],
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {tablet.clear}"},
    )

    assert response.status_code == 200, response.content
    data = response.json()
    BatchOut.model_validate(data)
    assert [(i["status"], i["field"], i["code"]) for i in data["items"]] == [
        ("accepted", None, None),
        ("rejected", "document_number", "invalid_type"),
        ("rejected", "document_number", "invalid_type"),
        ("rejected", "document_number", "invalid_type"),
    ]
    assert Sample.objects.count() == 1


def test_a_visitor_registered_by_a_15_digit_number_keeps_the_conversion_flag(
    station, tubes, tablet, residents, sample_item
):
    old = "340102880808661"
    result = register_samples(
        station=station, items=[sample_item(tubes[0], old, name="外地游客")], actor=tablet
    )

    assert result.items[0].status == "accepted"
    visitor = find_resident_by_document("resident_id", validate_resident_id(old).number)
    assert visitor.name == "外地游客"
    assert visitor.document_converted and visitor.needs_follow_up
    assert Resident.objects.filter(document_converted=True).count() == 1


def test_a_nul_character_in_one_item_refuses_that_item_not_the_batch(
    client, station, tubes, tablet, residents, resident_documents, now
):
    def item(key: str, **extra) -> dict:
        return {
            "idempotency_key": key,
            "tube_barcode": tubes[0].barcode,
            "taken_at": now.isoformat(),
            "document_number": resident_documents["张伟"],
            **extra,
        }

    response = client.post(
        "/api/v1/testing/samples",
        {
            "station": station.pk,
            "items": [
                item("n1"),
                item("n2", document_number=resident_documents["张伟"] + "\u0000"),
                item("n3", tube_barcode=tubes[0].barcode + "\u0000"),
                item("n4\u0000"),
            ],
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {tablet.clear}"},
    )

    assert response.status_code == 200, response.content
    statuses = [i["status"] for i in response.json()["items"]]
    assert statuses[0] == "accepted" and statuses[1:] == ["rejected"] * 3
    assert Sample.objects.count() == 1
