"""A round's stations with their samplers, and the samplers a staff member may put on them."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from fangkong.accounts.models import Role, User
from fangkong.core.areas import within_q

from ..models import Station, TestingRound


def round_stations(*, user, round: TestingRound) -> QuerySet[Station]:
    """The round's stations inside the user's scope, their samplers prefetched."""
    return (
        Station.objects.filter(within_q(user.scope_code), round=round)
        .select_related("site__place")
        .prefetch_related(Prefetch("samplers", queryset=User.objects.order_by("username")))
        .order_by("site__place__code", "name", "id")
    )


def samplers_in_scope(*, user) -> QuerySet[User]:
    """Active sampler accounts scoped inside the user's scope."""
    return User.objects.filter(
        within_q(user.scope_code, "scope_code"), role=Role.SAMPLER, is_active=True
    ).order_by("username")
