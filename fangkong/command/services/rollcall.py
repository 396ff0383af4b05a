"""Roll call (到岗) when an incident opens: the staff on the duty rota (值班) of its area and
of the units above it are called, and each confirms they are at their post.

The rota belongs to the services app; the command centre reads it through its selector and
writes only its own rows, so services never learns about incidents.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import deny
from fangkong.core.areas import AreaCode
from fangkong.core.errors import RuleViolation
from fangkong.geo.selectors import get_node
from fangkong.services.services.volunteers import on_duty

from ..models import Incident, RollCall, RollCallLevel, TimelineEntry
from .notifications import notify_users

_LEVELS = {
    "district": RollCallLevel.DISTRICT,
    "subdistrict": RollCallLevel.SUBDISTRICT,
}


def _stored(text) -> str:
    # Like every timeline entry: in the site's language, not the confirming person's.
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def _unit_name(area_code: str, post: str) -> str:
    node = get_node(area_code)
    name = node.name_zh if node is not None else area_code
    return f"{name} {post}".strip()[:200]


def call_duty_roll(*, incident: Incident, at: dt.datetime | None = None) -> list[RollCall]:
    """Call everyone on duty for the incident's area at its opening; calling again adds only
    the people not called yet. Each called person gets a message linking to their roll call."""
    at = at or incident.opened_at
    duties = on_duty(area_code=incident.area_code, at=at)
    already = set(
        RollCall.objects.filter(incident=incident, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    new: list[RollCall] = []
    for duty in duties:
        if duty.user_id in already or not duty.user.is_active:
            continue
        already.add(duty.user_id)
        new.append(
            RollCall(
                incident=incident,
                user=duty.user,
                level=_LEVELS.get(AreaCode(duty.area_code).level, RollCallLevel.COMMUNITY),
                area_code=duty.area_code,
                unit=_unit_name(duty.area_code, duty.post),
                called_at=at,
            )
        )
    if not new:
        return []
    with transaction.atomic():
        RollCall.objects.bulk_create(new)
        TimelineEntry.objects.create(
            incident=incident,
            at=at,
            kind="roll_called",
            text=_stored(
                _("Roll call: %(count)d people on duty called to their posts.")
                % {"count": len(new)}
            ),
        )
        notify_users(
            users=[c.user for c in new],
            template_key="roll_call",
            context={"incident": incident.title},
            key=f"roll_call:{incident.pk}",
            link=reverse("command:roll_calls"),
            incident=incident,
            area_code=incident.area_code,
        )
    return new


def confirm_roll_call(*, call: RollCall, user, at: dt.datetime | None = None) -> RollCall:
    """The person called confirms they are at their post (到岗); a second confirmation keeps
    the first time."""
    if call.user_id is None or call.user_id != user.pk:
        deny(
            actor=user,
            action="confirm_roll_call",
            area_code=call.area_code,
            object_type="roll_call",
            object_id=call.pk,
        )
    if not call.incident.is_open:
        raise RuleViolation(
            field="incident", code="closed", message=_("This incident is closed."), status_code=409
        )
    if call.at is not None:
        return call
    at = at or timezone.now()
    if call.called_at is not None and at < call.called_at:
        raise RuleViolation(
            field="at", code="before_call", message=_("One cannot confirm before being called.")
        )
    with transaction.atomic():
        updated = RollCall.objects.filter(pk=call.pk, at__isnull=True).update(at=at)
        call.refresh_from_db()
        if updated:
            TimelineEntry.objects.create(
                incident=call.incident,
                at=at,
                kind="roll_confirmed",
                author=user,
                text=_stored(_("%(unit)s: in place.") % {"unit": call.unit}),
            )
    return call
