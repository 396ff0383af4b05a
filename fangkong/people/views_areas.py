"""The area navigator: the tree from the user's scope down, with resident counts."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from fangkong.accounts.services import require_permission
from fangkong.core.areas import is_within, level_of
from fangkong.core.http import client_ip
from fangkong.geo import selectors

from .area_counts import resident_counts


@login_required
def node(request: HttpRequest, code: str) -> HttpResponse:
    """One node of the area tree with its children and their resident counts."""
    area = selectors.get_node(code)
    if area is None:
        raise Http404
    user = request.user
    # Nodes above the user's scope are shown only as the path down to it.
    if not (is_within(code, user.scope_code) or is_within(user.scope_code, code)):
        require_permission(
            actor=user,
            action="view_areas",
            area_code=code,
            object_type="area",
            object_id=code,
            ip=client_ip(request),
        )
    context = {
        "area": area,
        "code": code,
        "level": level_of(code),
        "breadcrumbs": selectors.ancestors(code),
        "children": selectors.children(code, scope_code=user.scope_code, count=resident_counts),
        "in_scope": is_within(code, user.scope_code),
    }
    return render(request, "people/area_node.html", context)
