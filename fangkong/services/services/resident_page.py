"""The resident's own page: opened from the signed link on their code, no login.

A resident under control (inside an active zone) raises a request of a few kinds and follows
its progress. The link is signed the way tracing signs its self-report link (Django's signer
with a salt of its own), so a link for one page never opens another. The page shows nothing
but the resident's own request numbers, kinds and states.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from fangkong.core.errors import RuleViolation
from fangkong.core.links import link_key, link_token
from fangkong.people.models import Resident, ResidentStatus
from fangkong.zones.selectors import applicable_zone_for_resident

from ..kinds import request_catalogue
from ..models import Channel, Priority, ServiceRequest
from .common import bad, now_or
from .requests import open_request

_SALT = "fangkong.services.resident-page"
# What a resident may ask for themselves; dialysis, maternity and welfare checks are planned
# by the community from the care profile, not requested.
SELF_KINDS = ("supplies", "medicine", "medical_trip", "counselling", "other")
DAILY_LIMIT = 5  # requests a resident may raise in any 24 hours from their page


def resident_page_token(resident: Resident) -> str:
    """The signed code that opens the resident's own page."""
    return link_token(resident.pk, salt=_SALT)


def _invalid() -> RuleViolation:
    return RuleViolation(
        field="token", code="invalid", message=_("This link is not valid."), status_code=404
    )


def resident_for_token(token: str) -> Resident:
    pk = link_key(token, salt=_SALT)
    if pk is None:
        raise _invalid()
    resident = (
        Resident.objects.select_related("household__building__compound")
        .filter(pk=pk, status=ResidentStatus.ACTIVE)
        .first()
    )
    if resident is None:
        raise _invalid()
    return resident


def under_control(resident: Resident) -> bool:
    """Inside an active zone: the people who cannot go out for what they need."""
    return applicable_zone_for_resident(resident).zone is not None


@dataclass(frozen=True)
class OwnRequest:
    number: str
    kind: str
    state: str
    delivered: str
    raised_at: dt.datetime


def own_requests(resident: Resident, *, limit: int = 20) -> list[OwnRequest]:
    """The resident's own requests, newest first: number, kind, state, delivery only."""
    catalogue = request_catalogue()
    rows = ServiceRequest.objects.filter(resident=resident).order_by("-raised_at", "-id")[:limit]
    result = []
    for r in rows:
        kind = catalogue.kind(r.kind)
        result.append(
            OwnRequest(
                number=r.number,
                kind=str(kind.name) if kind is not None else r.kind,
                state=r.get_state_display(),
                delivered=r.get_fulfil_status_display(),
                raised_at=r.raised_at,
            )
        )
    return result


def raise_own_request(
    *, resident: Resident, kind: str, description: str, now: dt.datetime | None = None
) -> ServiceRequest:
    """The resident's request from their page; refused outside a zone or past the daily limit."""
    if kind not in SELF_KINDS:
        raise bad("kind", "not_self_service", _("Choose one of the kinds on the page."))
    found = request_catalogue().kind(kind)
    if found is None:
        raise bad("kind", "unknown", _("No request kind has this code."))
    description = (description or "").strip()
    if not description:
        raise bad("description", "required", _("Say what you need."))
    if len(description) > 500:
        raise bad("description", "too_long", _("Say it in at most 500 characters."))
    if not under_control(resident):
        raise bad(
            "resident",
            "not_under_control",
            _("Your home is in no controlled zone now; call your grid worker."),
        )
    now = now_or(now)
    recent = ServiceRequest.objects.filter(
        resident=resident, channel=Channel.RESIDENT, raised_at__gt=now - dt.timedelta(days=1)
    ).count()
    if recent >= DAILY_LIMIT:
        raise RuleViolation(
            field="kind",
            code="rate_limited",
            message=_("You have sent the most requests allowed today; call your grid worker."),
            status_code=429,
        )
    return open_request(
        user=None,
        found=found,
        channel=Channel.RESIDENT,
        household=resident.household,
        resident=resident,
        area_code=resident.area_code,
        priority=Priority.NORMAL,
        lines=(),
        description=description,
        needed_by=None,
        now=now,
    )
