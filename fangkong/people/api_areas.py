"""The area tree in the API: a node with its path and children, and GeoJSON, with counts."""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema

from fangkong.accounts.services import require_permission
from fangkong.core.areas import is_within, level_of
from fangkong.core.errors import RuleViolation
from fangkong.core.http import client_ip
from fangkong.geo import selectors, services

from .area_counts import resident_counts

router = Router(tags=["areas"])


class NodeOut(Schema):
    code: str
    name: str
    level: str
    residents: int | None = None


class AreaOut(Schema):
    code: str
    name: str
    level: str
    ancestors: list[NodeOut]
    children: list[NodeOut]


@router.get("/areas/{code}", response=AreaOut)
def area(request: HttpRequest, code: str):
    """An area node with its path from the district and its children (resident counts)."""
    node = selectors.get_node(code)
    if node is None:
        raise RuleViolation(
            field="code", code="not_found", message=_("No area has this code."), status_code=404
        )
    scope = request.actor.scope_code
    # As on the area page: nodes above the caller's scope only as the path down to it.
    on_path = is_within(code, scope) or is_within(scope, code)
    require_permission(
        actor=request.actor,
        action="view_areas",
        area_code=None if on_path else code,
        object_type="area",
        object_id=code,
        ip=client_ip(request),
    )
    return {
        "code": code,
        "name": getattr(node, "name", code),
        "level": level_of(code),
        "ancestors": [r.__dict__ for r in selectors.ancestors(code)],
        "children": selectors.children(code, scope_code=scope, count=resident_counts),
    }


@router.get("/geojson")
def geojson(request: HttpRequest, level: str = "grid"):
    """The user's area as a GeoJSON FeatureCollection, one feature per node at `level`."""
    require_permission(
        actor=request.actor, action="view_areas", object_type="geojson", ip=client_ip(request)
    )
    return services.export_geojson(
        scope_code=request.actor.scope_code, level=level, count=resident_counts
    )
