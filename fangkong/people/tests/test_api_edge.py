"""The residents API at the edge: device tokens, refusals, bounds, bodies, the schema."""

import pytest

from devtools.fixtures import C11, G111, D
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.people.models import Resident


def token_for(commander, role: str, scope: str = D) -> dict:
    _, clear = create_device_token(name=role, role=role, scope_code=scope, created_by=commander)
    return {"HTTP_AUTHORIZATION": f"Bearer {clear}"}


def unmask(client, resident, **auth):
    return client.post(
        f"/api/v1/people/residents/{resident.pk}/unmask",
        {"reason": "流调核实"},
        content_type="application/json",
        **auth,
    )


def test_a_commander_token_unmasks_and_the_audit_row_names_the_device(
    client, commander, residents, id_number
):
    resident = Resident.objects.get(name="张伟")
    response = unmask(client, resident, **token_for(commander, Role.DISTRICT_COMMANDER))
    assert response.status_code == 200
    assert response.json()["document_number"] == id_number("410172", "19900101", 11)
    assert response["Cache-Control"] == "no-store"
    row = AuditEntry.objects.get(action=AuditAction.UNMASK)
    assert (row.user, row.username, row.role, row.scope_code) == (
        None,
        f"device:{Role.DISTRICT_COMMANDER}",
        Role.DISTRICT_COMMANDER,
        D,
    )


def test_a_sampler_token_is_refused_unmasking_with_one_audit_row_holding_its_role(
    client, commander, residents
):
    resident = Resident.objects.get(name="张伟")
    response = unmask(client, resident, **token_for(commander, Role.SAMPLER, C11))
    assert response.status_code == 403
    rows = AuditEntry.objects.filter(action=AuditAction.PERMISSION_DENIED)
    assert [(r.username, r.role, r.scope_code) for r in rows] == [
        (f"device:{Role.SAMPLER}", Role.SAMPLER, C11)
    ]


def test_a_refused_unmask_on_the_page_is_audited_once(client, residents, make_user):
    client.force_login(make_user(Role.GRID_WORKER, G111))
    resident = Resident.objects.get(name="张伟")
    response = client.post(f"/residents/{resident.pk}/unmask/", {"reason": "好奇"})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.PERMISSION_DENIED).count() == 1


def test_an_out_of_scope_resident_is_refused_and_audited_through_the_api(
    client, commander, residents
):
    other = Resident.objects.get(name="杨磊")  # grid 211, outside C11
    auth = token_for(commander, Role.COMMUNITY_STAFF, C11)
    response = client.get(f"/api/v1/people/residents/{other.pk}", **auth)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "out_of_scope"
    row = AuditEntry.objects.get(action=AuditAction.PERMISSION_DENIED)
    assert (row.object_type, row.object_id, row.role) == (
        "resident",
        str(other.pk),
        Role.COMMUNITY_STAFF,
    )
    assert client.get("/api/v1/people/residents/999999", **auth).status_code == 404


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/people/residents?min_age=500000", "min_age"),
        ("/api/v1/people/residents?max_age=-60458", "max_age"),
        ("/api/v1/people/residents?page=9223372036854775808", "page"),
        ("/api/v1/people/residents?page_size=100000000", "page_size"),
        ("/api/v1/people/residents/99999999999999999999", "pk"),
    ],
)
def test_absurd_values_are_refused_naming_the_field(client, commander, residents, path, field):
    client.force_login(commander)
    response = client.get(path)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_a_body_over_the_limit_is_413_with_json(client, commander, residents, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(commander)
    resident = Resident.objects.get(name="张伟")
    response = client.post(
        f"/api/v1/people/residents/{resident.pk}/unmask",
        {"reason": "长" * 2000},
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "too_large"


def test_a_body_that_is_not_json_is_415(client, commander, residents):
    client.force_login(commander)
    resident = Resident.objects.get(name="张伟")
    response = client.post(
        f"/api/v1/people/residents/{resident.pk}/unmask",
        '{"reason": "流调核实"}',
        content_type="text/plain",
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["field"] == "content-type"
    assert not AuditEntry.objects.filter(action=AuditAction.UNMASK).exists()


def test_broken_json_is_422_naming_the_body(client, commander, residents):
    client.force_login(commander)
    resident = Resident.objects.get(name="张伟")
    response = client.post(
        f"/api/v1/people/residents/{resident.pk}/unmask", "{", content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


def test_every_operation_documents_its_error_answers(client):
    schema = client.get("/api/openapi.json").json()
    assert "Errors" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            if "requestBody" in operation:
                assert {"413", "422"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
    unmask = schema["paths"]["/api/v1/people/residents/{pk}/unmask"]["post"]["responses"]
    assert {"401", "403", "404", "409", "413", "415", "422"} <= set(unmask)
