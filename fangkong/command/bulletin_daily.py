"""A day's bulletin for an area: testing, results, risk zones, responses and grid tasks from
00:00 to 24:00, as numbered sections in Chinese and in English."""

from __future__ import annotations

import datetime as dt

from .bulletin_text import (
    CLOSING_EN,
    CLOSING_ZH,
    ZH_ORDINALS,
    BulletinText,
    active_zones_en,
    active_zones_zh,
    alarms_en,
    alarms_zh,
    bulletin_text,
    heading,
    plural,
    round_en,
    round_zh,
    zones_en,
    zones_zh,
)
from .messages import en_date, zh_date, zh_month_day

# (Chinese heading, Chinese body, English heading, English body)
Section = tuple[str, str, str, str]


def daily_text(
    figures: dict, *, number: int, year: int, day: dt.date, drill: bool = False
) -> BulletinText:
    area_zh, area_en = figures["area"]["zh"], figures["area"]["en"]
    out = bulletin_text(
        heading(figures, number, year, drill=drill),
        f"关于{area_zh}{zh_month_day(figures['day'])}疫情防控工作情况的通报",
        f"Bulletin on epidemic control in {area_en} on {en_date(figures['day'])}",
        day=day,
        drill=drill,
    )
    zh, en = out.paragraphs_zh, out.paragraphs_en
    zh.append(f"{zh_date(figures['day'])}0时至24时，{area_zh}疫情防控工作情况通报如下：")
    en.append(f"The situation in {area_en} on {en_date(figures['day'])} (00:00 to 24:00):")
    rounds = figures["rounds"]
    sections: list[Section] = [
        (
            "核酸检测",
            "".join(round_zh(r, with_name=True) for r in rounds) or "当日未开展区域核酸检测。",
            "Testing",
            " ".join(round_en(r, with_name=True) for r in rounds) or "No area testing round ran.",
        ),
        _results(figures),
        _zones(figures),
        _responses(figures["incidents"]),
        _tasks(figures["tasks"]),
    ]
    for i, (head, body, _head_en, _body_en) in enumerate(sections):
        zh.append(f"{ZH_ORDINALS[i]}、{head}。{body}")
    for i, (_head, _body, head, body) in enumerate(sections, start=1):
        en.append(f"{i}. {head}. {body.strip()}")
    zh.append(CLOSING_ZH)
    en.append(CLOSING_EN)
    return out


def _results(figures: dict) -> Section:
    """The alarms reported that day and where the single-tube retests stand."""
    alarms, retests = figures["alarms"], figures["retests"]
    district_zh = figures["district"]["zh"]
    text_zh = (
        f"当日报告{alarms_zh(alarms, district_zh)}。" if alarms else "当日未报告异常检测结果。"
    )
    text_en = (
        f"Reported: {alarms_en(alarms)}."
        if alarms
        else "No screening-positive result was reported."
    )
    if retests["new"]:
        text_zh += f"新增单管复采复检{retests['new']}人。"
        text_en += (
            f" {plural(retests['new'], 'person was', 'people were')} ordered a single-tube retest."
        )
    if retests.get("total"):
        counts = [
            (retests[k], zh_label, en_label)
            for k, zh_label, en_label in (
                ("negative", "复检阴性", "negative"),
                ("positive", "复检阳性", "positive"),
                ("sampled", "待出结果", "awaiting results"),
                ("pending", "待复采", "still to be re-sampled"),
            )
            if retests[k]
        ]
        text_zh += "截至发稿，" + "、".join(f"{z}{n}人" for n, z, _e in counts) + "。"
        text_en += " So far: " + ", ".join(f"{n:,} {e}" for n, _z, e in counts) + "."
    return "检测结果", text_zh, "Results", text_en


def _zones(figures: dict) -> Section:
    area_zh, zones = figures["area"]["zh"], figures["zones"]
    active_zh = active_zones_zh(zones["active"])
    active_en = active_zones_en(zones["active"])
    return (
        "风险区域",
        "".join(zones_zh(zones))
        + (
            f"截至24时，{area_zh}现有{active_zh}。"
            if active_zh
            else f"截至24时，{area_zh}无风险区域。"
        ),
        "Risk zones",
        " ".join(zones_en(zones))
        + (
            f" At 24:00 there were {active_en}." if active_en else " At 24:00 no zone was in force."
        ),
    )


def _responses(inc: dict) -> Section:
    return (
        "应急处置",
        f"当日启动应急处置{inc['opened']}起，处置完毕{inc['closed']}起，"
        f"截至24时正在处置{inc['open_at_end']}起。",
        "Responses",
        f"{plural(inc['opened'], 'response was', 'responses were')} opened and "
        f"{inc['closed']:,} closed; {inc['open_at_end']:,} continued at 24:00.",
    )


def _tasks(tasks: dict) -> Section:
    if not (tasks["created"] or tasks["done"] or tasks.get("open_now")):
        return (
            "网格任务",
            "当日无入户敲门、核查等网格任务。",
            "Grid tasks",
            "No door-knocking or check-in task.",
        )
    text_zh = f"当日新增入户敲门、核查等网格任务{tasks['created']}项，完成{tasks['done']}项"
    text_en = (
        f"Door-knocking and check-ins: {tasks['created']:,} tasks created, "
        f"{tasks['done']:,} finished"
    )
    if "open_now" in tasks:
        text_zh += f"，尚未完成{tasks['open_now']}项"
        text_en += f"; {tasks['open_now']:,} open"
        if tasks["overdue_now"]:
            text_zh += f"，其中超时{tasks['overdue_now']}项"
            text_en += f", {tasks['overdue_now']:,} of them overdue"
    return "网格任务", text_zh + "。", "Grid tasks", text_en + "."
