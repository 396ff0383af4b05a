"""The requests API: idempotent raising, the scoped queue, progress with refusals."""

from __future__ import annotations

import pytest

from devtools.fixtures import G111, G211
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.services.models import RequestLine, ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def bearer(commander):
    def make(scope: str = G111, role: str = Role.GRID_WORKER) -> dict:
        _token, clear = create_device_token(
            name=f"phone-{scope}", role=role, scope_code=scope, created_by=commander
        )
        return {"Authorization": f"Bearer {clear}"}

    return make


def _body(resident, key: str = "k-1", **extra) -> dict:
    body = {
        "idempotency_key": key,
        "kind": "supplies",
        "resident_id": resident.pk,
        "lines": [{"item": "大米", "quantity": 2, "unit": "袋"}],
    }
    body.update(extra)
    return body


def test_a_replayed_key_returns_the_first_answer_and_writes_nothing(client, bearer, residents):
    headers = bearer()
    first = client.post(
        "/api/v1/services/requests",
        _body(residents[1]),
        content_type="application/json",
        headers=headers,
    )
    assert first.status_code == 201
    again = client.post(
        "/api/v1/services/requests",
        _body(residents[1]),
        content_type="application/json",
        headers=headers,
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert ServiceRequest.objects.count() == 1
    other = client.post(
        "/api/v1/services/requests",
        _body(residents[1], description="另一件事"),
        content_type="application/json",
        headers=headers,
    )
    assert other.status_code == 409


def test_bad_input_names_the_field_and_writes_nothing(client, bearer, residents):
    response = client.post(
        "/api/v1/services/requests",
        _body(residents[1], kind="pizza"),
        content_type="application/json",
        headers=bearer(),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"
    assert not ServiceRequest.objects.exists()


def test_a_resident_outside_the_callers_area_is_not_found(client, bearer, residents):
    response = client.post(
        "/api/v1/services/requests",
        _body(residents[1]),
        content_type="application/json",
        headers=bearer(G211),
    )
    assert response.status_code in (403, 422)
    assert not ServiceRequest.objects.exists()


def test_the_queue_is_scoped_and_ordered_care_first(client, bearer, residents):
    headers = bearer()
    client.post(
        "/api/v1/services/requests",
        _body(residents[1], "a"),
        content_type="application/json",
        headers=headers,
    )
    client.post(
        "/api/v1/services/requests",
        _body(residents[1], "b", kind="medicine", lines=[]),
        content_type="application/json",
        headers=headers,
    )
    items = client.get("/api/v1/services/requests", headers=headers).json()["items"]
    assert [i["kind"] for i in items] == ["medicine", "supplies"]
    assert client.get("/api/v1/services/requests", headers=bearer(G211)).json()["items"] == []


def test_progress_over_allocation_is_refused_with_the_field(client, bearer, residents):
    headers = bearer()
    created = client.post(
        "/api/v1/services/requests",
        _body(residents[1]),
        content_type="application/json",
        headers=headers,
    ).json()
    line = created["lines"][0]["id"]
    url = f"/api/v1/services/requests/{created['id']}/progress"
    refused = client.post(
        url,
        {"lines": [{"line_id": line, "committed": 3}]},
        content_type="application/json",
        headers=headers,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == {
        "field": "progress[0].committed",
        "code": "over_allocation",
        "message": refused.json()["errors"][0]["message"],
    }
    assert RequestLine.objects.get(pk=line).committed == 0
    done = client.post(
        url,
        {"lines": [{"line_id": line, "committed": 2, "delivered": 2}]},
        content_type="application/json",
        headers=headers,
    )
    assert done.status_code == 200
    assert done.json()["state"] == "fulfilled"


def test_a_refusal_inside_the_idempotent_write_stays_in_the_audit_log(client, bearer, residents):
    """The permission check runs inside the retry-safe transaction, which rolls back on the
    refusal: the refusal's audit row must outlive it (it was lost with the work before)."""
    response = client.post(
        "/api/v1/services/requests",
        {
            "idempotency_key": "k-guard",
            "kind": "supplies",
            "household_code": residents[1].household.code,
            "lines": [{"item": "大米", "quantity": 2, "unit": "袋"}],
        },
        content_type="application/json",
        headers=bearer(role=Role.CHECKPOINT_GUARD),
    )
    assert response.status_code == 403
    refusals = AuditEntry.objects.filter(action=AuditAction.PERMISSION_DENIED)
    assert [(e.object_type, e.area_code, e.detail) for e in refusals] == [
        ("household", residents[1].area_code, {"wanted": "raise_requests"})
    ]
    assert refusals.get().ip == "127.0.0.1"
    assert not ServiceRequest.objects.exists()
