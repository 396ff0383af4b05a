"""Texts for the building intercom (楼栋消防对讲系统) and residents' group chats (居民群).

On 13 June the community told residents through the group chats and the buildings' fire
intercoms; these texts are written from the data — the zone and its measures as the protocol
states them, the rounds and their sampling sites — for staff to read out or paste. Nothing is
sent from here, and no text names a person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from fangkong.core.areas import AreaCode
from fangkong.geo.selectors import get_node
from fangkong.testing.models import RoundKind, RoundStatus, SamplingSite, StationKind, TestingRound
from fangkong.zones.models import RiskZone, ZoneStatus
from fangkong.zones.protocols import zone_rule
from fangkong.zones.selectors import zone_name_en

from .messages import ZONE_KIND_EN, ZONE_KIND_ZH, en_date, en_time, local, zh_month_day, zh_time
from .models import Incident
from .scope import meets_q, within_q

CHANNELS = ("intercom", "group_chat")


@dataclass
class Sampling:
    starts_at: dt.datetime
    sites_zh: list[str]
    sites_en: list[str]
    door_to_door: bool


def _area(code: str) -> tuple[str, str]:
    node = get_node(code)
    if node is None:
        return code, code
    return node.name_zh, node.name_en or node.name_zh


def _sampling(area_code: str, now: dt.datetime) -> Sampling | None:
    """The next or current round meeting the area, with its sampling sites."""
    r = (
        TestingRound.objects.filter(meets_q(area_code))
        .filter(status__in=[RoundStatus.PLANNED, RoundStatus.ACTIVE])
        .exclude(kind=RoundKind.RETEST)
        .filter(Q(due_at__isnull=True) | Q(due_at__gte=now))
        .order_by("starts_at", "id")
        .first()
    )
    if r is None:
        return None
    # Sites of the area's community (a zone of buildings samples at its community's site).
    near = AreaCode(area_code).community
    all_sites = SamplingSite.objects.filter(round=r).select_related("place").order_by("place__code")
    sites = list(all_sites.filter(within_q(near))) or list(all_sites)
    door = r.stations.filter(kind=StationKind.DOOR_TO_DOOR).exists()
    return Sampling(
        starts_at=r.starts_at,
        sites_zh=[s.place.name_zh for s in sites[:6]],
        sites_en=[s.place.name_en or s.place.name_zh for s in sites[:6]],
        door_to_door=door and not r.stations.filter(kind=StationKind.BOOTH).exists(),
    )


def _when_zh(at: dt.datetime, now: dt.datetime) -> str:
    day = local(at).date()
    prefix = "今天" if day == timezone.localdate(now) else zh_month_day(day)
    return f"{prefix}{zh_time(at)}"


def _when_en(at: dt.datetime, now: dt.datetime) -> str:
    day = local(at).date()
    return f"{en_time(at)} {'today' if day == timezone.localdate(now) else 'on ' + en_date(day)}"


def _testing_zh(s: Sampling, now: dt.datetime) -> str:
    if s.door_to_door:
        return f"{_when_zh(s.starts_at, now)}起，工作人员将上门开展核酸采样，请大家在家等候，听到敲门后佩戴口罩开门配合。"
    return (
        f"{_when_zh(s.starts_at, now)}起在{'、'.join(s.sites_zh)}开展核酸检测，请大家带好身份证"
        "或采样码，全程佩戴口罩，保持一米间距，有序排队。行动不便的居民请联系网格员上门采样。"
    )


def _testing_en(s: Sampling, now: dt.datetime) -> str:
    if s.door_to_door:
        return (
            f"From {_when_en(s.starts_at, now)} the sampling team will come to every door: "
            "please stay at home and open in a mask when they knock."
        )
    return (
        f"Testing starts at {_when_en(s.starts_at, now)} at {', '.join(s.sites_en)}. Bring your "
        "ID card or sampling code, wear a mask, keep one metre apart and queue in order. If "
        "you cannot come, ask your grid worker for a home visit."
    )


def _zone_lines(zone, lang: str) -> tuple[str, list[str]]:

    rule = zone_rule(zone.protocol.data, zone.kind) or {}
    measures = (rule.get("measures") or {}).get(lang, [])
    kinds = ZONE_KIND_EN if lang == "en" else ZONE_KIND_ZH
    name = (rule.get("name") or {}).get(lang) or kinds.get(zone.kind, zone.kind)
    return name, list(measures)


def _lift_line(zone, lang: str, now: dt.datetime) -> str:
    """The lift in the glossary's words, and that normal life resumes."""
    when = zone.ended_at or now
    if lang == "en":
        return (
            f"From {_when_en(when, now)} {zone_name_en(zone)} is lifted: normal life resumes. "
            "Please keep wearing a mask and washing your hands."
        )
    verb = {"standstill": "解除临时静态管理", "sealed": "解封"}.get(zone.kind, "解除管控措施")
    return (
        f"自{_when_zh(when, now)}起，{zone.name}{verb}，恢复正常生活秩序。"
        "请大家继续做好个人防护，坚持戴口罩、勤洗手。"
    )


def _lift_texts(zone, lang: str, now: dt.datetime) -> dict[str, str]:
    line = _lift_line(zone, lang, now)
    if lang == "en":
        return {
            "intercom": f"Attention, residents. {line} Again: {line} Thank you.",
            "group_chat": "\n".join(
                [
                    f"[Epidemic control notice] Residents of {zone_name_en(zone)}:",
                    line,
                    "Thank you for your understanding and help.",
                ]
            ),
        }
    return {
        "intercom": f"居民朋友们请注意：{line}重复一遍：{line}感谢大家配合！",
        "group_chat": "\n".join(
            [f"【疫情防控提醒】{zone.name}的居民朋友们：", line, "感谢大家的理解和配合！"]
        ),
    }


def zone_texts(zone, *, lang: str = "zh", now: dt.datetime | None = None) -> dict[str, str]:
    now = now or timezone.now()
    if zone.status == ZoneStatus.LIFTED:
        return _lift_texts(zone, lang, now)
    sampling = _sampling(zone.area_code, now)
    kind_name, measures = _zone_lines(zone, lang)
    if lang == "en":
        lead = (
            f"For epidemic control, {zone_name_en(zone)} is a {kind_name.lower()} from "
            f"{_when_en(zone.designated_at, now)}."
        )
        rules = " ".join(m.rstrip(".") + "." for m in measures)
        test = _testing_en(sampling, now) if sampling else ""
        spoken = " ".join(p for p in (lead, rules, test) if p)
        intercom = f"Attention, residents. {spoken} Again: {spoken} Thank you."
        lines = [f"[Epidemic control notice] Residents of {zone_name_en(zone)}:", lead]
        lines += [f"{i}. {m.rstrip('.')}." for i, m in enumerate(measures, start=1)]
        if test:
            lines.append(test)
        lines.append("Thank you for your understanding and help.")
        return {"intercom": intercom, "group_chat": "\n".join(lines)}
    # "瓦屋李新居封控区" → "瓦屋李新居划为封控区": the name often ends with the kind already.
    base = zone.name
    if base.endswith(kind_name) and len(base) > len(kind_name):
        base = base[: -len(kind_name)]
    when = _when_zh(zone.designated_at, now)
    if zone.kind == "standstill":
        lead = f"根据疫情防控需要，自{when}起，对{base}实施临时静态管理。"
    else:
        lead = f"根据疫情防控需要，自{when}起，{base}划为{kind_name}。"
    rules = "".join(m.rstrip("。") + "。" for m in measures)
    test = _testing_zh(sampling, now) if sampling else ""
    spoken = lead + rules + test
    intercom = f"居民朋友们请注意：{spoken}重复一遍：{spoken}感谢大家配合！"
    lines = [f"【疫情防控提醒】{zone.name}的居民朋友们：", lead]
    lines += [f"{i}. {m.rstrip('。')}。" for i, m in enumerate(measures, start=1)]
    if test:
        lines.append(test)
    lines.append("感谢大家的理解和配合！")
    return {"intercom": intercom, "group_chat": "\n".join(lines)}


def incident_texts(
    incident: Incident, *, lang: str = "zh", now: dt.datetime | None = None
) -> dict[str, str]:
    """The testing call of the incident's area (and its active zones, if any)."""

    now = now or timezone.now()
    area_zh, area_en = _area(incident.area_code)
    sampling = _sampling(incident.area_code, now)
    zones = list(
        RiskZone.objects.filter(meets_q(incident.area_code), status=ZoneStatus.ACTIVE)
        .filter(designated_at__gte=incident.opened_at)
        .order_by("designated_at", "id")[:5]
    )
    # Zones of the response lifted since: residents hear that normal life resumes.
    lifted = list(
        RiskZone.objects.filter(meets_q(incident.area_code), status=ZoneStatus.LIFTED)
        .filter(designated_at__gte=incident.opened_at)
        .order_by("ended_at", "id")[:5]
    )
    if lang == "en":
        parts = [
            f"{zone_name_en(z)} is a {ZONE_KIND_EN.get(z.kind, z.kind)}: please stay at home."
            for z in zones
        ]
        parts += [_lift_line(z, "en", now) for z in lifted]
        if sampling:
            parts.append(_testing_en(sampling, now))
        if not parts:
            parts.append("Please follow the community's instructions and stay at home where asked.")
        spoken = " ".join(parts)
        return {
            "intercom": f"Attention, residents of {area_en}. {spoken} Again: {spoken} Thank you.",
            "group_chat": "\n".join(
                [
                    f"[Epidemic control notice] Residents of {area_en}:",
                    *parts,
                    "Thank you for your understanding and help.",
                ]
            ),
        }
    parts = [
        (
            f"{z.name}实施临时静态管理，请区域内居民居家，不要外出。"
            if z.kind == "standstill"
            else f"{z.name}实行{ZONE_KIND_ZH.get(z.kind, z.kind)}管理，请区域内居民居家，不要外出。"
        )
        for z in zones
    ]
    parts += [_lift_line(z, "zh", now) for z in lifted]
    if sampling:
        parts.append(_testing_zh(sampling, now))
    if not parts:
        parts.append("请大家听从社区安排，接到居家通知的居民请不要外出。")
    spoken = "".join(parts)
    return {
        "intercom": f"{area_zh}的居民朋友们请注意：{spoken}重复一遍：{spoken}感谢大家配合！",
        "group_chat": "\n".join(
            [f"【疫情防控提醒】{area_zh}的居民朋友们：", *parts, "感谢大家的理解和配合！"]
        ),
    }
