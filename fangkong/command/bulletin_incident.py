"""An incident's bulletin (关于……处置情况的通报), in the order a proofreader expects: what
happened (情况), what was done (处置), what came of it (结果) and the assessment (研判), in
Chinese and in English."""

from __future__ import annotations

import datetime as dt

from .bulletin_text import (
    CLOSING_EN,
    CLOSING_ZH,
    ZH_ORDINALS,
    BulletinText,
    alarms_en,
    alarms_zh,
    bulletin_text,
    count,
    heading,
    plural,
    pool_en,
    pool_zh,
    results_en,
    results_zh,
    round_en,
    round_zh,
    zones_designated_en,
    zones_designated_zh,
    zones_ended_en,
    zones_ended_zh,
)
from .messages import RESULT_EN, RESULT_ZH, en_date, en_time, local, zh_month_day, zh_time

Paragraph = tuple[str, str]  # (Chinese, English)
SECTIONS = (
    ("基本情况", "What happened"),
    ("处置措施", "What was done"),
    ("检测结果", "Results"),
    ("研判意见", "Assessment"),
)


def subject(figures: dict) -> tuple[str, str]:
    """The subject line: 关于……处置情况的通报."""
    alarms = figures["alarms"]
    if alarms:
        a = alarms[0]
        where_zh = f"{a['subdistrict_zh']}{a['place_zh']}"
        where_en = a["place_en"] or figures["area"]["en"]
        result_zh = RESULT_ZH.get(a["result"], a["result"])
        what_zh = f"{where_zh}{pool_zh(a)}样本{result_zh}"
        what_en = f"the {pool_en(a)} {RESULT_EN.get(a['result'], a['result'])} tube from {where_en}"
    else:
        what_zh = what_en = figures["incident"]["title"]
    return (
        f"关于{what_zh}处置情况的通报",
        f"Bulletin on the response to {what_en}",
    )


def incident_text(
    figures: dict, *, number: int, year: int, day: dt.date, drill: bool = False
) -> BulletinText:
    title_zh, title_en = subject(figures)
    out = bulletin_text(
        heading(figures, number, year, drill=drill), title_zh, title_en, day=day, drill=drill
    )
    sources = [r for r in figures["rounds"] if r.get("role") == "source"]
    situation = [_alarm(figures)]
    situation += [(round_zh(r, with_name=True), round_en(r, with_name=True)) for r in sources]
    actions: list[Paragraph] = []
    if figures["retests"]["total"]:
        actions.append(_retests_ordered(figures))
    zones = figures["zones"]
    if zones["designated"]:
        actions.append((zones_designated_zh(zones), zones_designated_en(zones)))
    knock = figures["doorknock"]
    if knock["tasks"]:
        actions.append(_doorknock(knock))
    results: list[Paragraph] = []
    if figures["retests"]["total"]:
        results.append(_retest_results(figures))
    if figures.get("borderline"):
        results.append(_borderline(figures["borderline"]))
    if figures.get("response"):
        results.append(_response(figures["response"]))
    assessment: list[Paragraph] = []
    if zones["ended"]:
        assessment.append((zones_ended_zh(zones), zones_ended_en(zones)))
    assessment.append(_ending(figures["incident"]))
    assessment.append((CLOSING_ZH, CLOSING_EN))
    parts = [situation, actions, results, assessment]
    n = 0
    for (head_zh, head_en), paragraphs in zip(SECTIONS, parts, strict=True):
        if not paragraphs:
            continue
        n += 1
        out.paragraphs_zh.append(f"{ZH_ORDINALS[n - 1]}、{head_zh}")
        out.paragraphs_en.append(f"{n}. {head_en}")
        out.paragraphs_zh.extend(zh for zh, _en in paragraphs)
        out.paragraphs_en.extend(en for _zh, en in paragraphs)
    return out


def _doorknock(knock: dict) -> Paragraph:
    """Door-knocking by household: never "finished" while a household is unaccounted for."""
    left = knock["tasks"] - knock["done"]
    zh = f"地毯式开展“敲门行动”，涉及{knock['tasks']}户，已核实{knock['done']}户"
    en = (
        f"Door-knocking covered {plural(knock['tasks'], 'household', 'households')}; "
        f"{knock['done']:,} accounted for"
    )
    if left:
        zh += f"，尚有{left}户未说明情况"
        en += f", {left:,} not yet"
    return zh + "。", en + "."


def _borderline(rows: list[dict]) -> Paragraph:
    """Results with a Ct in the grey zone, named as the lab names them, and who reviews them."""
    zh_names = {"slightly_high": "指标稍高", "weak_positive": "弱阳性"}
    en_names = {"slightly_high": "slightly high", "weak_positive": "a weak positive"}
    zh, en = [], []
    for r in rows:
        ct = [
            f"{gene} {r[key]}" for gene, key in (("ORF1ab", "ct_orf1ab"), ("N", "ct_n")) if r[key]
        ]
        zh.append(f"{r['barcode']}号管{zh_names[r['flag']]}（Ct值{'、'.join(ct)}）")
        en.append(f"tube {r['barcode']} {en_names[r['flag']]} (Ct {', '.join(ct)})")
    return (
        f"检测中{'；'.join(zh)}，已交区疾控中心复核。",
        f"In testing, {'; '.join(en)}: sent to the district CDC for review.",
    )


def _alarm(figures: dict) -> Paragraph:
    """Who reported what, and when: a lab's alarm is received by the district CDC (疾控中心)."""
    district_zh, district_en = figures["district"]["zh"], figures["district"]["en"]
    inc, alarms = figures["incident"], figures["alarms"]
    first = alarms[0]["reported_at"] if alarms and alarms[0]["reported_at"] else inc["opened_at"]
    when_zh = f"{zh_month_day(local(first).date())}{zh_time(first)}"
    when_en = f"At {en_time(first)} on {en_date(local(first).date())}"
    if not alarms:
        return (
            f"{when_zh}，{district_zh}疫情防控指挥部启动应急处置：{inc['title']}。",
            f"{when_en}, the {district_en} command centre opened a response: {inc['title']}.",
        )
    labs = sorted({a["lab"] for a in alarms if a["lab"]})
    source_zh = "、".join(labs) if labs else "检测机构"
    source_en = " and ".join(labs) if labs else "the laboratory"
    return (
        f"{when_zh}，{district_zh}疾控中心接到{source_zh}报告，{alarms_zh(alarms, district_zh)}。",
        f"{when_en}, the {district_en} CDC received a report from {source_en}: "
        f"{alarms_en(alarms)}.",
    )


def _retests_ordered(figures: dict) -> Paragraph:
    """The people concerned kept at home, and single-tube retests ordered."""
    district_zh, alarms, retests = figures["district"]["zh"], figures["alarms"], figures["retests"]
    members = sum(a["members"] for a in alarms) or retests["total"]
    return (
        f"接报后，{district_zh}三级网格迅速行动，对涉及的{members}人落实居家等待，"
        f"下达单管复采复检{retests['total']}人，上门采样。",
        f"The three-level grid acted at once: the {plural(members, 'person', 'people')} "
        f"concerned were told to stay at home, and {plural(retests['total'], 'person was', 'people were')} "
        "ordered a single-tube retest, sampled at home.",
    )


def _retest_results(figures: dict) -> Paragraph:
    """Where the single-tube retests stand."""
    retests = figures["retests"]
    resampled = retests["sampled"] + retests["negative"] + retests["positive"]
    as_of = figures["incident"]["closed_at"] or figures["as_of"]
    zh_as_of = f"截至{zh_month_day(local(as_of).date())}{zh_time(as_of)}"
    en_as_of = f"By {en_time(as_of)} on {en_date(local(as_of).date())}"
    if retests["negative"] == retests["total"]:
        return (
            f"{zh_as_of}，{retests['total']}人单管复检结果全部为阴性。",
            f"{en_as_of}, all {retests['total']:,} single-tube retests were negative.",
        )
    if not resampled:
        return (
            f"{zh_as_of}，{retests['pending']}人正在等待上门复采。",
            f"{en_as_of}, {plural(retests['pending'], 'person was', 'people were')} "
            "waiting for the sampling team.",
        )
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
    text_zh = f"{zh_as_of}，已复采{resampled}人"
    text_en = f"{en_as_of}, {resampled:,} had been re-sampled"
    if found_zh:
        text_zh += "，其中" + "、".join(found_zh)
        text_en += ": " + ", ".join(found_en)
    if retests["sampled"]:
        text_zh += f"，{retests['sampled']}人正在检测"
        text_en += f"; {retests['sampled']:,} in the lab"
    if retests["pending"]:
        text_zh += f"；待复采{retests['pending']}人"
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
            f"{days_zh}，全区已部署核酸检测{merged['count']}轮，尚未采集样本。",
            f"On {days_en}, {rounds_en} of testing {verb} set up; no samples yet.",
        )
    phrase = merged["phrase_en"]
    return (
        f"{days_zh}，全区{merged['phrase_zh']}。{results_zh(merged['tubes'])}",
        f"On {days_en}, in {rounds_en} of testing, the district "
        f"{phrase[0].lower() + phrase[1:]}. {results_en(merged['tubes'])}".strip(),
    )


def _ending(inc: dict) -> Paragraph:
    if not inc["closed_at"]:
        return "目前，各项处置工作正在有序进行。", "The response continues."
    closed = inc["closed_at"]
    summary = inc["summary"].rstrip("。.") + "。"
    summary_en = (inc["summary_en"] or inc["summary"]).rstrip("。.") + "."
    return (
        f"{zh_month_day(local(closed).date())}{zh_time(closed)}，经研判，{summary}",
        f"At {en_time(closed)} on {en_date(local(closed).date())}, after review: {summary_en}",
    )
