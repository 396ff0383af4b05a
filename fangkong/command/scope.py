"""Area scope for the command centre's rows: one node and everything under it."""

from __future__ import annotations

from django.db.models import Q

from fangkong.core.areas import AreaCode, is_within, within_q


def parents_and_self(code: str) -> list[str]:
    """`410172-001-001` → [`410172`, `410172-001`, `410172-001-001`]."""
    return AreaCode(code).lineage


def meets_q(scope: str, field: str = "area_code") -> Q:
    """Rows whose area lies below `scope`, or above it on the path to it (an incident of the
    whole district concerns a community's staff too)."""
    return Q(**{f"{field}__in": parents_and_self(scope)}) | within_q(scope, field)


def meets(code: str, scope: str) -> bool:
    return is_within(code, scope) or is_within(scope, code)


def narrower(a: str, b: str) -> str | None:
    """The deeper of two nested nodes, or None when they do not nest."""
    if is_within(a, b):
        return a
    if is_within(b, a):
        return b
    return None
