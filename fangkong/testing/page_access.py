"""What the round pages share: the area a request names, the round a user may open, the grid
of a grid worker. Pages of every group import these, never each other's private helpers."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import deny, require_permission
from fangkong.core.areas import level_of
from fangkong.core.errors import RuleViolation
from fangkong.core.http import client_ip

from . import selectors
from .models import TestingRound
from .services.rounds import common_area


def area_param(request: HttpRequest) -> str | None:
    code = (request.GET.get("area") or request.POST.get("area") or "").strip()
    if not code:
        return None
    try:
        level_of(code)
    except ValueError:
        raise RuleViolation(field="area", code="format", message=_("Unknown area code.")) from None
    return code


def round_for_request(
    request: HttpRequest, pk: int, action: str = "view_residents"
) -> TestingRound:
    """The round, if the user's role allows `action` and the round meets their scope; refusals
    are written to the audit log."""
    require_permission(
        actor=request.user,
        action=action,
        object_type="testing_round",
        object_id=pk,
        ip=client_ip(request),
    )
    round_ = TestingRound.objects.filter(pk=pk).first()
    if round_ is None:
        raise Http404
    if not selectors.round_prefixes(user=request.user, round=round_):
        deny(
            actor=request.user,
            action=action,
            area_code=round_.area_code,
            object_type="testing_round",
            object_id=pk,
            ip=client_ip(request),
        )
    return round_


def view_node(prefixes: list[str]) -> str:
    return common_area(prefixes) if prefixes else ""


def grid_scope(user) -> str | None:
    """The user's grid, when their scope is one grid."""
    try:
        return user.scope_code if level_of(user.scope_code) == "grid" else None
    except ValueError:
        return None
