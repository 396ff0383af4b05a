"""Incidents by hand: open one, name its commander and group leads, write notes, close it
with a summary. Tasks handed out within one are in `tasks`.

Incidents opened by a positive pool come from `command.handlers`; everything here works the
same on both. Every write checks the user's permission and scope first (refusals audited),
then writes in one transaction, with a timeline entry saying who did what.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.accounts.services import deny, require_permission
from fangkong.core.areas import is_within
from fangkong.core.errors import RuleViolation
from fangkong.geo.selectors import area_exists, get_node

from ..messages import ROLE_EN, ROLE_ZH
from ..models import (
    Incident,
    IncidentKind,
    IncidentRole,
    IncidentRoleKind,
    IncidentStatus,
    TimelineEntry,
)
from ..scope import meets
from .notifications import notify_users
from .rollcall import call_duty_roll


def stored_text(text) -> str:
    """Timeline text is stored in the site's language, like a log book, not the clicker's."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def may_lead(user, incident: Incident) -> bool:
    """Commanders in scope, the incident's commander and its group leads."""
    if can(user, "manage_incidents", incident.area_code):
        return True
    if not can(user, "view_incidents") or not meets(incident.area_code, user.scope_code):
        return False
    if incident.commander_id == user.pk:
        return True
    return incident.roles.filter(user=user).exists()


def require_lead(user, incident: Incident, what: str) -> None:
    if not may_lead(user, incident):
        deny(
            actor=user,
            action=what,
            area_code=incident.area_code,
            object_type="incident",
            object_id=incident.pk,
        )


def require_open(incident: Incident) -> None:
    if incident.status != IncidentStatus.OPEN:
        raise RuleViolation(
            field="incident", code="closed", message=_("This incident is closed."), status_code=409
        )


def _check_member(member, area_code: str, field: str) -> None:
    if member is None:
        return
    if not getattr(member, "is_active", False) or not can(member, "view_incidents"):
        raise RuleViolation(
            field=field, code="role", message=_("This person cannot work on incidents.")
        )
    if not meets(area_code, member.scope_code):
        raise RuleViolation(
            field=field, code="out_of_scope", message=_("This person works in another area.")
        )


def open_incident(
    *,
    user,
    title: str,
    area_code: str,
    kind: str = IncidentKind.OTHER,
    commander=None,
    opened_at: dt.datetime | None = None,
    description: str = "",
) -> Incident:
    """Open an incident by hand in the user's scope, with its commander (default: the user)."""
    require_permission(
        actor=user, action="manage_incidents", area_code=area_code or None, object_type="incident"
    )
    title = (title or "").strip()
    if not title:
        raise RuleViolation(field="title", code="required", message=_("A title is required."))
    if not area_code or not area_exists(area_code):
        raise RuleViolation(field="area_code", code="unknown", message=_("No area has this code."))
    if not is_within(area_code, user.scope_code):
        deny(actor=user, action="manage_incidents", area_code=area_code, object_type="incident")
    if kind not in IncidentKind.values:
        raise RuleViolation(field="kind", code="choice", message=_("Unknown incident kind."))
    commander = commander or user
    _check_member(commander, area_code, "commander")
    now = timezone.now()
    opened_at = opened_at or now
    if opened_at > now + dt.timedelta(minutes=5):
        raise RuleViolation(
            field="opened_at", code="future", message=_("An incident cannot open in the future.")
        )
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title[:200],
            kind=kind,
            area_code=area_code,
            opened_at=opened_at,
            opened_by=user,
            commander=commander,
        )
        node = get_node(area_code)
        text = stored_text(
            _("Incident opened by %(user)s in %(area)s; commander %(commander)s.")
            % {"user": user, "area": node.name_zh if node else area_code, "commander": commander}
        )
        if description.strip():
            text += "\n" + description.strip()
        TimelineEntry.objects.create(
            incident=incident, at=opened_at, kind="opened", text=text, author=user
        )
        if commander.pk != user.pk:
            _tell_member(
                incident, commander, "commander", key=f"commander:{incident.pk}:{commander.pk}"
            )
        call_duty_roll(incident=incident)
    return incident


def set_commander(
    *, incident: Incident, user, commander, at: dt.datetime | None = None
) -> Incident:
    """Name the incident's commander (指挥长); `at` is a replay's clock (default: now)."""
    require_permission(
        actor=user,
        action="manage_incidents",
        area_code=incident.area_code,
        object_type="incident",
        object_id=incident.pk,
    )
    require_open(incident)
    _check_member(commander, incident.area_code, "commander")
    with transaction.atomic():
        incident.commander = commander
        incident.save(update_fields=["commander", "updated_at"])
        TimelineEntry.objects.create(
            incident=incident,
            at=at or timezone.now(),
            kind="role",
            author=user,
            text=stored_text(
                _("%(member)s leads the response as commander.") % {"member": commander}
            ),
        )
        if commander.pk != user.pk:
            _tell_member(
                incident, commander, "commander", key=f"commander:{incident.pk}:{commander.pk}"
            )
        call_duty_roll(incident=incident)
    return incident


def assign_role(*, incident: Incident, user, member, role: str) -> IncidentRole:
    """Name `member` to a role (deputy, group lead, liaison); naming them again changes nothing."""
    if not (can(user, "manage_incidents", incident.area_code) or incident.commander_id == user.pk):
        deny(
            actor=user,
            action="manage_incidents",
            area_code=incident.area_code,
            object_type="incident",
            object_id=incident.pk,
        )
    require_open(incident)
    if role not in IncidentRoleKind.values:
        raise RuleViolation(field="role", code="choice", message=_("Unknown role."))
    _check_member(member, incident.area_code, "member")
    now = timezone.now()
    with transaction.atomic():
        row, created = IncidentRole.objects.get_or_create(
            incident=incident,
            user=member,
            role=role,
            defaults={"assigned_at": now, "assigned_by": user},
        )
        if created:
            with translation.override(settings.LANGUAGE_CODE):
                label = str(IncidentRoleKind(role).label)
            TimelineEntry.objects.create(
                incident=incident,
                at=now,
                kind="role",
                author=user,
                text=stored_text(_("%(member)s: %(role)s.") % {"member": member, "role": label}),
            )
            _tell_member(incident, member, role, key=f"role:{row.pk}")
    return row


def _tell_member(incident: Incident, member, role: str, *, key: str) -> None:

    notify_users(
        users=[member],
        template_key="incident_role",
        context={"incident": incident.title, "role_zh": ROLE_ZH[role], "role_en": ROLE_EN[role]},
        key=key,
        link=reverse("command:incident", args=[incident.pk]),
        incident=incident,
        area_code=incident.area_code,
    )


def add_note(
    *, incident: Incident, user, text: str, at: dt.datetime | None = None
) -> TimelineEntry:
    """A note or decision on the timeline, signed by its author."""
    require_lead(user, incident, "manage_incidents")
    text = (text or "").strip()
    if not text:
        raise RuleViolation(field="text", code="required", message=_("Write the note first."))
    if len(text) > 4000:
        raise RuleViolation(
            field="text", code="length", message=_("A note has at most 4,000 characters.")
        )
    now = timezone.now()
    at = at or now
    if at > now + dt.timedelta(minutes=5):
        raise RuleViolation(field="at", code="future", message=_("A note cannot be in the future."))
    return TimelineEntry.objects.create(
        incident=incident, at=at, kind="note", text=text, author=user, narrative=True
    )


def close_incident(
    *, incident: Incident, user, summary: str, summary_en: str = "", now: dt.datetime | None = None
) -> Incident:
    """Close with a summary; closing a closed incident again changes nothing."""
    if not (can(user, "manage_incidents", incident.area_code) or incident.commander_id == user.pk):
        deny(
            actor=user,
            action="manage_incidents",
            area_code=incident.area_code,
            object_type="incident",
            object_id=incident.pk,
        )
    if incident.status == IncidentStatus.CLOSED:
        return incident
    summary = (summary or "").strip()
    if not summary:
        raise RuleViolation(
            field="summary", code="required", message=_("Say how the incident ended.")
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.status == IncidentStatus.CLOSED:
            return locked
        locked.status, locked.closed_at = IncidentStatus.CLOSED, now
        locked.summary, locked.summary_en = summary, (summary_en or "").strip()
        locked.save(update_fields=["status", "closed_at", "summary", "summary_en", "updated_at"])
        TimelineEntry.objects.create(
            incident=locked,
            at=now,
            kind="closed",
            author=user,
            narrative=True,
            text=stored_text(_("Incident closed: %(summary)s") % {"summary": summary}),
        )
    return locked
