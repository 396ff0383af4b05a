"""Turn domain events into incidents and timeline entries."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.accounts.models import Role, User
from fangkong.accounts.permissions import MATRIX
from fangkong.core.areas import AreaCode
from fangkong.core.events import subscribe
from fangkong.core.models import OutboxEvent
from fangkong.geo.selectors import get_node
from fangkong.testing.models import Tube
from fangkong.work.models import Task
from fangkong.zones.models import ZoneKind

from .messages import RESULT_EN, RESULT_ZH, ZONE_KIND_EN, ZONE_KIND_ZH, pool_label
from .models import Incident, IncidentTask, TimelineEntry
from .scope import open_incident_for, parents_and_self
from .services.notifications import notify_users
from .services.rollcall import call_duty_roll


def _place_name(area_code: str) -> str:
    node = get_node(AreaCode(area_code).community) if area_code else None
    return node.name_zh if node is not None else area_code


@subscribe("testing.pool_positive")
def on_pool_positive(event: OutboxEvent) -> None:
    p = event.payload
    incident = open_incident_for(event.area_code)
    label = _("presumptive positive") if p["result"] == "presumptive_positive" else _("positive")
    if incident is None:
        incident = Incident.objects.create(
            title=_("%(place)s: tube %(barcode)s %(label)s")
            % {"place": _place_name(event.area_code), "barcode": p["barcode"], "label": label},
            kind="pool_positive",
            area_code=AreaCode(event.area_code).community,
            opened_at=event.occurred_at,
            source_event=event,
        )
        call_duty_roll(incident=incident)
    TimelineEntry.objects.create(
        incident=incident,
        at=event.occurred_at,
        kind="pool_positive",
        event=event,
        text=_(
            "Tube %(barcode)s (%(station)s) %(label)s: %(members)d people listed, %(orders)d single-tube retest orders, %(households)d households told to stay home."
        )
        % {
            "barcode": p["barcode"],
            "station": p["station"],
            "label": label,
            "members": p["members"],
            "orders": p["retest_orders"],
            "households": len(p["household_codes"]),
        },
    )


def _record(event: OutboxEvent, kind: str, text: str) -> None:
    """Add the event to the open incident covering its area, if there is one."""
    incident = open_incident_for(event.area_code)
    if incident is not None:
        TimelineEntry.objects.create(
            incident=incident, at=event.occurred_at, kind=kind, event=event, text=text
        )


@subscribe("testing.pool_cleared")
def on_pool_cleared(event: OutboxEvent) -> None:
    text = _("All members of tube %(barcode)s re-tested negative.")
    _record(event, "pool_cleared", text % {"barcode": event.payload["barcode"]})


@subscribe("testing.person_positive")
def on_person_positive(event: OutboxEvent) -> None:
    text = _("A single-tube retest from tube %(barcode)s is positive: case to investigate.")
    _record(event, "person_positive", text % {"barcode": event.payload["barcode"]})


def _zone_kind_label(kind: str) -> str:

    return str(ZoneKind(kind).label) if kind in ZoneKind.values else kind


@subscribe("zones.zone_designated")
def on_zone_designated(event: OutboxEvent) -> None:
    p = event.payload
    if p["zone_kind"] == ZoneKind.STANDSTILL:
        text = _(
            "%(name)s under temporary standstill: %(residents)d residents inside, %(elderly)d elderly living alone, %(medical)d needing medical trips; %(rounds)d testing rounds scheduled."
        )
    else:
        text = _(
            "%(name)s designated a %(kind)s: %(residents)d residents inside, %(elderly)d elderly living alone, %(medical)d needing medical trips; %(rounds)d testing rounds scheduled."
        )
    text %= {
        "name": p["name"],
        "kind": _zone_kind_label(p["zone_kind"]),
        "residents": p["residents"],
        "elderly": p["elderly_alone"],
        "medical": p["medical_trips"],
        "rounds": p["rounds"],
    }
    _record(event, "zone_designated", text)


@subscribe("zones.zone_downgraded")
def on_zone_downgraded(event: OutboxEvent) -> None:
    p = event.payload
    text = _("%(name)s downgraded from %(from)s to %(to)s: %(reason)s") % {
        "name": p["name"],
        "from": _zone_kind_label(p["from_kind"]),
        "to": _zone_kind_label(p["to_kind"]),
        "reason": p["reason"],
    }
    _record(event, "zone_downgraded", text)


@subscribe("zones.zone_lifted")
def on_zone_lifted(event: OutboxEvent) -> None:
    p = event.payload
    # The glossary's verbs: a standstill is 解除临时静态管理, only a sealed zone is 解封.
    if p["zone_kind"] == ZoneKind.STANDSTILL:
        text = _("%(name)s: temporary standstill lifted: %(reason)s")
    elif p["zone_kind"] == ZoneKind.SEALED:
        text = _("%(name)s (sealed zone) unsealed: %(reason)s")
    else:
        text = _("%(name)s (%(kind)s) lifted: %(reason)s")
    text %= {"name": p["name"], "kind": _zone_kind_label(p["zone_kind"]), "reason": p["reason"]}
    _record(event, "zone_lifted", text)


# ---------------------------------------------------------------------------------------------
# Borderline results: a Ct in the protocol's grey zone goes on the incident's timeline and
# opens a review task for the district CDC (疾控中心).

REVIEW_KIND = "result_review"


def flag_label(flag: str) -> str:
    return _("slightly high") if flag == "slightly_high" else _("weak positive")


def _ct_text(p: dict) -> str:
    parts = [
        f"ORF1ab {p['ct_orf1ab']}" if p.get("ct_orf1ab") else "",
        f"N {p['ct_n']}" if p.get("ct_n") else "",
    ]
    return ", ".join(x for x in parts if x) or "—"


def _district_cdc(area_code: str) -> User | None:
    """The first active CDC user whose area covers the tube's."""
    return (
        User.objects.filter(
            role=Role.CDC, is_active=True, scope_code__in=parents_and_self(area_code)
        )
        .order_by("id")
        .first()
    )


@subscribe("lab.result_flagged")
def on_result_flagged(event: OutboxEvent) -> None:
    p = event.payload
    values = {"barcode": p["barcode"], "flag": flag_label(p["flag"]), "ct": _ct_text(p)}
    incident = open_incident_for(event.area_code)
    if incident is not None:
        TimelineEntry.objects.create(
            incident=incident,
            at=event.occurred_at,
            kind="result_flagged",
            event=event,
            text=_("Tube %(barcode)s %(flag)s (Ct %(ct)s): sent to the district CDC for review.")
            % values,
        )
    task, created = Task.objects.get_or_create(
        key=f"review:{p['result_id']}",
        defaults={
            "kind": REVIEW_KIND,
            "title": (_("Review: tube %(barcode)s %(flag)s (Ct %(ct)s)") % values)[:200],
            "detail": {
                "tube": p["barcode"],
                "result": p["result"],
                "flag": p["flag"],
                "ct_orf1ab": p.get("ct_orf1ab", ""),
                "ct_n": p.get("ct_n", ""),
                "members": p.get("members", 0),
            },
            "area_code": event.area_code,
            "assignee": _district_cdc(event.area_code),
            "due_at": event.occurred_at
            + dt.timedelta(hours=float(settings.FANGKONG_RESULT_REVIEW_HOURS)),
        },
    )
    if created and incident is not None:
        IncidentTask.objects.create(task=task, incident=incident)


def _review_text(decision: str, flag: str) -> str:
    if decision == "retest" and flag == "weak_positive":
        return _(
            "Tube %(barcode)s (%(flag)s) reviewed by the district CDC: single-tube retest, "
            "already ordered with the positive result."
        )
    if decision == "confirm_negative":
        return _("Tube %(barcode)s (%(flag)s) reviewed by the district CDC: kept negative.")
    if decision == "retest":
        return _(
            "Tube %(barcode)s (%(flag)s) reviewed by the district CDC: single-tube retest "
            "ordered for %(orders)s people."
        )
    return _("Tube %(barcode)s (%(flag)s) reviewed by the district CDC: treated as positive.")


@subscribe("lab.result_reviewed")
def on_result_reviewed(event: OutboxEvent) -> None:
    p = event.payload
    values = {"barcode": p["barcode"], "flag": flag_label(p["flag"]), "orders": p["retest_orders"]}
    _record(event, "result_reviewed", _review_text(p["decision"], p["flag"]) % values)


# ---------------------------------------------------------------------------------------------
# Notifications to staff (in-app): the people who act on an alarm hear of it at once.
# Appended after the timeline handlers, so for the same event the incident already exists.


def _acting_staff(area_code: str, grid_codes=()):
    """Active users whose node covers the area and who run the response there (roles that
    may manage incidents or rounds), plus the grid workers of the grids concerned."""

    acting = [r for r, actions in MATRIX.items() if actions & {"manage_incidents", "manage_rounds"}]
    q = Q(role__in=acting, scope_code__in=parents_and_self(area_code))
    if grid_codes:
        q |= Q(role=Role.GRID_WORKER, scope_code__in=sorted(set(grid_codes)))
    return User.objects.filter(q, is_active=True).order_by("id")


def _names(area_code: str) -> tuple[str, str]:
    node = get_node(AreaCode(area_code).community) if area_code else None
    if node is None:
        return area_code, area_code
    return node.name_zh, node.name_en or node.name_zh


def _notify(event: OutboxEvent, template_key: str, context: dict, grid_codes=()) -> None:

    incident = open_incident_for(event.area_code)
    notify_users(
        users=_acting_staff(event.area_code, grid_codes),
        template_key=template_key,
        context=context,
        key=f"event:{event.pk}:{template_key}",
        link=reverse("command:incident", args=[incident.pk]) if incident else "",
        incident=incident,
        area_code=event.area_code,
    )


@subscribe("testing.pool_positive")
def notify_pool_positive(event: OutboxEvent) -> None:

    p = event.payload
    capacity = Tube.objects.filter(pk=p.get("tube_id")).values_list("capacity", flat=True).first()
    area, area_en = _names(event.area_code)
    grids = {AreaCode(code).grid for code in p.get("household_codes", [])}
    _notify(
        event,
        "pool_positive",
        {
            "area": area,
            "area_en": area_en,
            "pool": pool_label(capacity or 1, "zh"),
            "pool_en": pool_label(capacity or 1, "en"),
            "barcode": p.get("barcode", ""),
            "station": p.get("station", ""),
            "result_zh": RESULT_ZH.get(p.get("result"), p.get("result", "")),
            "result_en": RESULT_EN.get(p.get("result"), p.get("result", "")),
            "members": p.get("members", 0),
            "orders": p.get("retest_orders", 0),
            "households": len(p.get("household_codes", [])),
        },
        grid_codes=grids,
    )


@subscribe("testing.person_positive")
def notify_person_positive(event: OutboxEvent) -> None:
    area, area_en = _names(event.area_code)
    _notify(
        event,
        "person_positive",
        {"area": area, "area_en": area_en, "barcode": event.payload.get("barcode", "")},
        grid_codes=[AreaCode(event.area_code).grid],
    )


@subscribe("zones.zone_designated")
def notify_zone_designated(event: OutboxEvent) -> None:

    p = event.payload
    _notify(
        event,
        "zone_designated",
        {
            "name": p.get("name", ""),
            "kind_zh": ZONE_KIND_ZH.get(p.get("zone_kind"), p.get("zone_kind", "")),
            "kind_en": ZONE_KIND_EN.get(p.get("zone_kind"), p.get("zone_kind", "")),
            "action_zh": (
                "实施临时静态管理"
                if p.get("zone_kind") == ZoneKind.STANDSTILL
                else f"划定为{ZONE_KIND_ZH.get(p.get('zone_kind'), p.get('zone_kind', ''))}"
            ),
            "residents": p.get("residents", 0),
            "elderly": p.get("elderly_alone", 0),
            "medical": p.get("medical_trips", 0),
        },
        grid_codes=[
            c for c in p.get("members", []) if c.count("-") == 3 and c.rsplit("-", 1)[1].isdigit()
        ],
    )


@subscribe("zones.zone_lifted")
def notify_zone_lifted(event: OutboxEvent) -> None:

    p = event.payload
    _notify(
        event,
        "zone_lifted",
        {
            "name": p.get("name", ""),
            "kind_zh": ZONE_KIND_ZH.get(p.get("zone_kind"), p.get("zone_kind", "")),
            "kind_en": ZONE_KIND_EN.get(p.get("zone_kind"), p.get("zone_kind", "")),
        },
    )


@subscribe("testing.pool_cleared")
def notify_pool_cleared(event: OutboxEvent) -> None:
    area, area_en = _names(event.area_code)
    _notify(
        event,
        "pool_cleared",
        {"area": area, "area_en": area_en, "barcode": event.payload.get("barcode", "")},
    )
