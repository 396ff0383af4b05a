"""The area API and GeoJSON are scoped like the area pages."""

from django.urls import reverse

from devtools.fixtures import C11, G111, G211, S1, D
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.core.models import AuditAction, AuditEntry


def grid_worker_token(commander) -> dict:
    _, clear = create_device_token(
        name="网格员平板", role=Role.GRID_WORKER, scope_code=G111, created_by=commander
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {clear}"}


def test_a_node_off_the_callers_path_is_refused_and_audited(client, commander, residents):
    response = client.get(f"/api/v1/geo/areas/{G211}", **grid_worker_token(commander))
    assert response.status_code == 403
    row = AuditEntry.objects.get(action=AuditAction.PERMISSION_DENIED)
    assert (row.object_id, row.role, row.scope_code) == (G211, Role.GRID_WORKER, G111)


def test_nodes_above_the_scope_are_named_but_not_counted(client, commander, residents):
    body = client.get(f"/api/v1/geo/areas/{D}", **grid_worker_token(commander)).json()
    assert [(c["code"], c["residents"]) for c in body["children"]] == [(S1, None)]
    body = client.get(f"/api/v1/geo/areas/{C11}", **grid_worker_token(commander)).json()
    assert [(c["code"], c["residents"]) for c in body["children"]] == [(G111, 3)]


def test_geojson_gives_no_district_totals_to_a_grid_worker(client, commander, residents):
    auth = grid_worker_token(commander)
    for level in ("district", "subdistrict", "community"):
        features = client.get("/api/v1/geo/geojson", {"level": level}, **auth).json()["features"]
        assert [f["properties"]["residents"] for f in features] == [None], level
    grids = client.get("/api/v1/geo/geojson", {"level": "grid"}, **auth).json()["features"]
    assert [(f["id"], f["properties"]["residents"]) for f in grids] == [(G111, 3)]


def test_the_area_page_does_not_count_above_the_scope(client, residents, make_user):
    client.force_login(make_user(Role.GRID_WORKER, G111))
    page = client.get(reverse("areas:node", args=[D])).content.decode()
    # the district's one child on the path is shown, with a dash for its count
    assert S1 in page and "—" in page
