"""Institution rosters of a round, and the institutions a round could take a roster from."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from fangkong.core.areas import within_q
from fangkong.geo.models import Place

from ..models import InstitutionRoster, TestingRound
from ..services.rosters import NOT_INSTITUTIONS
from .scope import require_view, round_prefixes


def round_rosters(*, user, round: TestingRound) -> list[InstitutionRoster]:
    """The round's rosters whose institution lies in the part of the round the user sees,
    each with its number of people (`n`)."""
    require_view(user)
    where = Q(pk__in=[])
    for p in round_prefixes(user=user, round=round):
        where |= within_q(p)
    return list(
        round.rosters.filter(where)
        .select_related("place")
        .annotate(n=Count("members"))
        .order_by("place__code")
    )


def roster_places(*, user, round: TestingRound) -> QuerySet[Place]:
    """Institutions (schools, companies, building sites…) in the round's areas the user sees."""
    require_view(user)
    where = Q(pk__in=[])
    for p in round_prefixes(user=user, round=round):
        where |= within_q(p)
    return Place.objects.filter(where).exclude(kind__in=NOT_INSTITUTIONS).order_by("code")
