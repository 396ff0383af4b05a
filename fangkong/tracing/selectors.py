"""Reads over venues, scans and orders: always limited to the requesting user's scope, masked."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation

from .models import Venue, VenueScan

RECENT_SCANS = 200


def _in_scope(user) -> Q:
    scope = user.scope_code
    return Q(area_code=scope) | Q(area_code__startswith=scope + "-")


def venues_for(user) -> QuerySet[Venue]:
    """The venues in the user's area."""
    require_permission(actor=user, action="view_tracing", object_type="venues")
    return Venue.objects.filter(_in_scope(user))


def venue_for(user, pk: int) -> Venue:
    """One venue by id; one outside the user's area is refused and audited, not hidden."""
    venue = Venue.objects.filter(pk=pk).first()
    if venue is None:
        raise RuleViolation(
            field="venue", code="unknown", message=_("No venue has this number."), status_code=404
        )
    require_permission(
        actor=user,
        action="view_tracing",
        area_code=venue.area_code,
        object_type="venue",
        object_id=pk,
    )
    return venue


def recent_scans(user, venue: Venue, *, limit: int = RECENT_SCANS) -> list[dict]:
    """The venue's latest scans, masked: who (masked document) and when."""
    venue_for(user, venue.pk)
    return list(
        VenueScan.objects.filter(venue=venue)
        .order_by("-scanned_at", "-id")
        .values("source_id", "scanned_at", "document_type", "document_masked")[:limit]
    )
