"""An incident's bulletin: the alarm, the retests of the people concerned, the zones, the
door-knocking, the rounds of the response and how it ended, in Chinese and in English."""

from __future__ import annotations

import datetime as dt

from .bulletin_text import (
    CLOSING_EN,
    CLOSING_ZH,
    BulletinText,
    alarms_en,
    alarms_zh,
    count,
    plural,
    results_en,
    results_zh,
    round_en,
    round_zh,
    titles,
    zones_en,
    zones_zh,
)
from .messages import en_date, en_time, local, zh_month_day, zh_time

Paragraph = tuple[str, str]  # (Chinese, English)


def incident_text(figures: dict, *, number: int, year: int, day: dt.date) -> BulletinText:
    title_zh, title_en, issuer_zh, issuer_en = titles(figures, number, year)
    out = BulletinText(title_zh, title_en, issuer_zh, issuer_en, date=day)
    paragraphs = [_alarm(figures)]
    if figures["retests"]["total"]:
        paragraphs.append(_retests(figures))
    paragraphs.extend(zip(zones_zh(figures["zones"]), zones_en(figures["zones"]), strict=True))
    knock = figures["doorknock"]
    if knock["tasks"]:
        paragraphs.append(
            (
                f"地毯式开展“敲门行动”,涉及楼栋{knock['tasks']}栋,已完成{knock['done']}栋。",
                f"Door-knocking covered {plural(knock['tasks'], 'building', 'buildings')}; "
                f"{knock['done']:,} finished.",
            )
        )
    for r in figures["rounds"]:
        if r.get("role") == "source":
            paragraphs.append((round_zh(r, with_name=True), round_en(r, with_name=True)))
    if figures.get("response"):
        paragraphs.append(_response(figures["response"]))
    paragraphs.append(_ending(figures["incident"]))
    paragraphs.append((CLOSING_ZH, CLOSING_EN))
    out.paragraphs_zh.extend(zh for zh, _en in paragraphs)
    out.paragraphs_en.extend(en for _zh, en in paragraphs)
    return out


def _alarm(figures: dict) -> Paragraph:
    """Who reported what to the command centre, and when; or why the response opened."""
    district_zh, district_en = figures["district"]["zh"], figures["district"]["en"]
    inc, alarms = figures["incident"], figures["alarms"]
    first = alarms[0]["reported_at"] if alarms and alarms[0]["reported_at"] else inc["opened_at"]
    when_zh = f"{zh_month_day(local(first).date())}{zh_time(first)}"
    when_en = f"At {en_time(first)} on {en_date(local(first).date())}"
    if not alarms:
        return (
            f"{when_zh},{district_zh}疫情防控指挥部启动应急处置:{inc['title']}。",
            f"{when_en}, the {district_en} command centre opened a response: {inc['title']}.",
        )
    labs = sorted({a["lab"] for a in alarms if a["lab"]})
    source_zh = "、".join(labs) if labs else "检测机构"
    source_en = " and ".join(labs) if labs else "the laboratory"
    return (
        f"{when_zh},{district_zh}疫情防控指挥部接到{source_zh}报告,"
        f"{alarms_zh(alarms, district_zh)}。",
        f"{when_en}, the {district_en} command centre received a report from {source_en}: "
        f"{alarms_en(alarms)}.",
    )


def _retests(figures: dict) -> Paragraph:
    """The people concerned kept at home and re-sampled by single tube, and where that stands."""
    district_zh, alarms, retests = figures["district"]["zh"], figures["alarms"], figures["retests"]
    members = sum(a["members"] for a in alarms) or retests["total"]
    resampled = retests["sampled"] + retests["negative"] + retests["positive"]
    as_of = figures["incident"]["closed_at"] or figures["as_of"]
    zh_as_of = f"截至{zh_month_day(local(as_of).date())}{zh_time(as_of)}"
    en_as_of = f"By {en_time(as_of)} on {en_date(local(as_of).date())}"
    text_zh = (
        f"接报后,{district_zh}三级网格迅速行动,对涉及的{members}人落实居家等待、上门单管复采复检。"
    )
    text_en = (
        f"The three-level grid acted at once: the {plural(members, 'person', 'people')} "
        "concerned were told to stay at home and re-sampled at home by single tube."
    )
    if retests["negative"] == retests["total"]:
        text_zh += f"{zh_as_of},{retests['total']}人单管复检结果全部为阴性。"
        text_en += f" {en_as_of}, all {retests['total']:,} single-tube retests were negative."
        return text_zh, text_en
    if not resampled:
        text_zh += f"{zh_as_of},{retests['pending']}人正在等待上门复采。"
        text_en += (
            f" {en_as_of}, {plural(retests['pending'], 'person was', 'people were')} "
            "waiting for the sampling team."
        )
        return text_zh, text_en
    found_zh = [
        f"{label}{retests[key]}人"
        for label, key in (("复检阴性", "negative"), ("阳性", "positive"))
        if retests[key]
    ]
    found_en = [
        f"{retests[key]:,} {label}"
        for label, key in (("negative", "negative"), ("positive", "positive"))
        if retests[key]
    ]
    text_zh += f"{zh_as_of},已复采{resampled}人"
    text_en += f" {en_as_of}, {resampled:,} had been re-sampled"
    if found_zh:
        text_zh += ",其中" + "、".join(found_zh)
        text_en += ": " + ", ".join(found_en)
    if retests["sampled"]:
        text_zh += f",{retests['sampled']}人正在检测"
        text_en += f"; {retests['sampled']:,} in the lab"
    if retests["pending"]:
        text_zh += f";待复采{retests['pending']}人"
        text_en += f"; {retests['pending']:,} still to be re-sampled"
    return text_zh + "。", text_en + "."


def _response(merged: dict) -> Paragraph:
    """The response's rounds, merged: how many, on which days, and what they found."""
    first, last = (local(merged[k]).date() for k in ("first_start", "last_start"))
    days_zh = zh_month_day(first) + ("" if first == last else f"至{zh_month_day(last)}")
    days_en = en_date(first) + ("" if first == last else f" to {en_date(last)}")
    rounds_en = count(merged["count"], "round", "rounds")
    stats = merged["stats"]
    if not (stats["people_total"] or stats["environment"]["tubes"]):
        verb = "was" if merged["count"] == 1 else "were"
        return (
            f"{days_zh},全区已部署核酸检测{merged['count']}轮,尚未采集样本。",
            f"On {days_en}, {rounds_en} of testing {verb} set up; no samples yet.",
        )
    phrase = merged["phrase_en"]
    return (
        f"{days_zh},全区{merged['phrase_zh']}。{results_zh(merged['tubes'])}",
        f"On {days_en}, in {rounds_en} of testing, the district "
        f"{phrase[0].lower() + phrase[1:]}. {results_en(merged['tubes'])}".strip(),
    )


def _ending(inc: dict) -> Paragraph:
    if not inc["closed_at"]:
        return "目前,各项处置工作正在有序进行。", "The response continues."
    closed = inc["closed_at"]
    summary = inc["summary"].rstrip("。.") + "。"
    summary_en = (inc["summary_en"] or inc["summary"]).rstrip("。.") + "."
    return (
        f"{zh_month_day(local(closed).date())}{zh_time(closed)},经研判,{summary}",
        f"At {en_time(closed)} on {en_date(local(closed).date())}, after review: {summary_en}",
    )
