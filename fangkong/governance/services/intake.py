"""Intake: a matter reported from the grid, the hotline, Open311 or a petition office."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import User
from fangkong.accounts.services import require_permission
from fangkong.core.areas import AreaCode
from fangkong.core.crypto import encrypt
from fangkong.geo.selectors import area_exists

from ..kinds import Kind, case_catalogue
from ..models import ClosureType, GovCase, Source, Stage, Unit
from .common import bad, log_event, now_or, start_stage_clock
from .photos import PreparedPhoto, save_photos, stored_files

MAX_DESCRIPTION = 4000  # Open311's limit, kept for every source
PHONE = re.compile(r"^1\d{10}$")


def create_unit(*, code: str, name: str, area_code: str) -> Unit:
    if not area_exists(area_code):
        raise bad("area_code", "unknown", _("No area has this code."))
    if not name.strip():
        raise bad("name", "required", _("A name is required."))
    return Unit.objects.create(code=code, name=name.strip(), area_code=area_code)


def receiving_unit(area_code: str) -> Unit | None:
    """The unit nearest above (or at) the area: the first to receive a matter reported there."""
    area = AreaCode(area_code)
    chain = [area.upto(level) for level in ("district", "subdistrict", "community", "grid")]
    candidates = {u.area_code: u for u in Unit.objects.filter(area_code__in=set(chain))}
    for code in reversed(chain):
        if code in candidates:
            return candidates[code]
    return None


def check_attributes(kind: Kind, attributes: dict[str, object]) -> dict[str, object]:
    """The Open311 attributes of the kind's service definition, checked and kept as given."""
    definition = {a.code: a for a in (kind.open311.attributes if kind.open311 else ())}
    for code in attributes:
        if code not in definition:
            raise bad(f"attribute[{code}]", "unknown", _("This service has no such attribute."))
    for code, attribute in definition.items():
        value = attributes.get(code)
        if value in (None, "", []):
            if attribute.required:
                raise bad(f"attribute[{code}]", "required", _("This attribute is required."))
            continue
        keys = {v.key for v in attribute.values}
        chosen = value if isinstance(value, list) else [value]
        if keys and not set(map(str, chosen)) <= keys:
            raise bad(f"attribute[{code}]", "choice", _("Choose one of the listed values."))
    return attributes


def _check_intake(
    *, kind_code: str, source: str, title: str, description: str, area_code: str
) -> Kind:
    kind = case_catalogue().kind(kind_code)
    if kind is None:
        raise bad("kind", "unknown", _("No case kind has this code."))
    if source not in Source.values or source not in kind.sources:
        raise bad("source", "not_allowed", _("This kind of case does not come from this source."))
    if not title.strip():
        raise bad("title", "required", _("Say in a few words what the matter is."))
    if len(description) > MAX_DESCRIPTION:
        raise bad("description", "too_long", _("The description is limited to 4000 characters."))
    try:
        AreaCode.parse(area_code)
    except ValueError:
        area_code = ""
    if not area_code or not area_exists(area_code):
        raise bad("area_code", "unknown", _("No area has this code."))
    if AreaCode(area_code).depth > 4:
        raise bad("area_code", "below_grid", _("Report a matter at a grid or above."))
    return kind


def report_case(
    *,
    user,
    kind: str,
    source: str,
    title: str,
    area_code: str,
    description: str = "",
    address: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    media_url: str = "",
    attributes: dict[str, object] | None = None,
    reporter_phone: str = "",
    owner_unit: Unit | None = None,
    handled_on_spot: bool = False,
    photos: Sequence[PreparedPhoto] = (),
    now: dt.datetime | None = None,
) -> GovCase:
    """Open a case; the unit that receives it owns it until it is formally passed on.

    A grid worker who settles the matter on the spot (事在格中办) closes it at once, resolved.
    """
    found = _check_intake(
        kind_code=kind, source=source, title=title, description=description, area_code=area_code
    )
    require_permission(
        actor=user, action="report_cases", area_code=area_code, object_type="gov_case"
    )
    attributes = check_attributes(found, attributes or {})
    phone = (reporter_phone or "").strip()
    if phone and not PHONE.match(phone):
        raise bad("reporter_phone", "invalid", _("Enter an 11-digit mobile number."))
    owner = owner_unit or receiving_unit(area_code)
    if owner is None:
        raise bad("area_code", "no_unit", _("No unit receives matters in this area yet."))
    now = now_or(now)
    case = GovCase(
        kind=found.code,
        catalogue_version=case_catalogue().version,
        source=source,
        title=title.strip(),
        description=description.strip(),
        area_code=area_code,
        address=address.strip(),
        latitude=latitude,
        longitude=longitude,
        media_url=media_url,
        attributes=attributes,
        reporter_phone=encrypt(phone, context="gov_case.reporter_phone") if phone else "",
        owner_unit=owner,
        reported_by=user if isinstance(user, User) else None,
        received_at=now,
    )
    start_stage_clock(case, now=now)
    case.response_due_at = case.due_at
    if handled_on_spot:
        case.stage = Stage.CLOSED
        case.resolved = True
        case.closure_type = ClosureType.NORMAL
        case.closed_at = case.accepted_at = case.responded_at = now
        case.clock, case.due_at = "", None
    with stored_files() as names, transaction.atomic():
        case.save()
        save_photos(photos, names=names, user=user, case=case)
        log_event(case, action="report", user=user, unit=owner)
        if handled_on_spot:
            log_event(case, action="handle_on_spot", user=user, from_stage=Stage.REPORTED)
    return case
