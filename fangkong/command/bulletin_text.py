"""A bulletin's wording, in Chinese and in English, from its figures.

The Chinese follows the register of the district's own bulletins and newspaper reports
("6月13日3时04分,…接到报告,…20混1结果疑似初筛阳性1管。…全区采集20:1标本360管6799人,外环境
样本8管80个点位。本轮样本检测结果全部显示阴性。"); the round figures are
`testing.selectors.bulletin_phrase`. This is a document format, not interface text: both
languages are written here, so the wording never depends on the catalogue.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from .messages import (
    RESULT_EN,
    RESULT_ZH,
    ZONE_KIND_EN,
    ZONE_KIND_ZH,
    en_date,
    en_time,
    local,
    zh_date,
    zh_month_day,
    zh_time,
)

CLOSING_ZH = "请广大居民群众继续做好个人防护,积极配合落实各项防控措施。"
CLOSING_EN = (
    "Residents are asked to keep protecting themselves and to follow every measure in force."
)
ZH_ORDINALS = "一二三四五六七八九十"


@dataclass
class BulletinText:
    title_zh: str
    title_en: str
    issuer_zh: str
    issuer_en: str
    paragraphs_zh: list[str] = field(default_factory=list)
    paragraphs_en: list[str] = field(default_factory=list)
    date: dt.date | None = None

    @property
    def date_zh(self) -> str:
        return zh_date(self.date)

    @property
    def date_en(self) -> str:
        return en_date(self.date)

    @property
    def text_zh(self) -> str:
        return "\n\n".join([self.title_zh, *self.paragraphs_zh, self.issuer_zh, self.date_zh])

    @property
    def text_en(self) -> str:
        return "\n\n".join([self.title_en, self.issuer_en, *self.paragraphs_en, self.date_en])


def titles(figures: dict, number: int, year: int) -> tuple[str, str, str, str]:
    d = figures["district"]
    issuer_zh = f"{d['zh']}疫情防控指挥部"
    issuer_en = f"{d['en']} Epidemic Prevention and Control Command"
    return (
        f"{issuer_zh}通报〔{year}〕第{number}号",
        f"Bulletin No. {number} ({year})",
        issuer_zh,
        issuer_en,
    )


WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _count(n: int, one: str, many: str) -> str:
    """`one 20:1 pooled tube`, `12 people`: words up to ten, as English prose writes them."""
    return f"{WORDS[n] if 0 <= n <= 10 else f'{n:,}'} {one if n == 1 else many}"


def _pool_zh(a: dict) -> str:
    if a["kind"] == "environment":
        return "外环境样本"
    return "单采单检样本" if a["capacity"] == 1 else f"{a['capacity']}混1"


def _pool_en(a: dict) -> str:
    if a["kind"] == "environment":
        return "environmental"
    return "single-tube" if a["capacity"] == 1 else f"{a['capacity']}:1 pooled"


def _alarm_groups(alarms: list[dict]) -> Counter:
    return Counter(
        (
            a["subdistrict_zh"],
            a["place_zh"],
            a["subdistrict_en"],
            a["place_en"],
            _pool_zh(a),
            _pool_en(a),
            a["result"],
        )
        for a in alarms
    )


def _alarms_zh(alarms: list[dict], district_zh: str) -> str:
    parts = []
    for (sub, place, _se, _pe, pool, _pool, result), n in _alarm_groups(alarms).items():
        where = f"{district_zh}{sub}{place}" if place else district_zh
        parts.append(f"{where},{pool}结果{RESULT_ZH.get(result, result)}{n}管")
    return ";".join(parts)


def _alarms_en(alarms: list[dict]) -> str:
    parts = []
    for (_sz, _pz, sub, place, _pool, pool, result), n in _alarm_groups(alarms).items():
        where = f" from {place} ({sub})" if place else ""
        tubes = _count(n, f"{pool} tube", f"{pool} tubes")
        parts.append(f"{tubes}{where}, {RESULT_EN.get(result, result)}")
    return "; ".join(parts)


def _round_label_zh(r: dict) -> str:
    return "全区" if r["whole_district"] else "、".join(a["zh"] for a in r["areas"])


def _round_label_en(r: dict) -> str:
    return "district-wide" if r["whole_district"] else ", ".join(a["en"] for a in r["areas"])


def _results_zh(t: dict) -> str:
    c, r, neg, alarm, invalid = (
        t[k] for k in ("collected", "resulted", "negative", "alarm", "invalid")
    )
    if not c:
        return ""
    if r == c and neg == c:
        return "本轮样本检测结果全部显示阴性。"
    if not r:
        return "样本正在检测中。"
    parts = [
        f"{label}{n}管"
        for label, n in (("阴性", neg), ("初筛阳性", alarm), ("无效需重采", invalid))
        if n
    ]
    text = f"已出结果{r}管,其中" + "、".join(parts)
    if c > r:
        text += f",其余{c - r}管正在检测"
    return text + "。"


def _results_en(t: dict) -> str:
    c, r, neg, alarm, invalid = (
        t[k] for k in ("collected", "resulted", "negative", "alarm", "invalid")
    )
    if not c:
        return ""
    if r == c and neg == c:
        return "All samples of the round tested negative."
    if not r:
        return "The samples are being tested."
    parts = [
        f"{n:,} {label}"
        for label, n in (
            ("negative", neg),
            ("screening positive", alarm),
            ("invalid (to be re-sampled)", invalid),
        )
        if n
    ]
    text = f"Results are in for {_plural(r, 'tube', 'tubes')}: " + ", ".join(parts)
    if c > r:
        text += f"; {c - r:,} still in the lab"
    return text + "."


def _round_zh(r: dict, with_name: bool) -> str:
    head = f"{r['name']}:" if with_name else f"{zh_month_day(local(r['starts_at']).date())},"
    return f"{head}{_round_label_zh(r)}{r['phrase_zh']}。{_results_zh(r['tubes'])}"


def _round_en(r: dict, with_name: bool) -> str:
    head = f"{r['name']}: " if with_name else f"On {en_date(local(r['starts_at']).date())}, "
    phrase = r["phrase_en"]
    return f"{head}{_round_label_en(r)}, {phrase[0].lower() + phrase[1:]}. {_results_en(r['tubes'])}".strip()


def _zone_zh(z: dict) -> str:
    if z["kind"] == "standstill":
        return f"对{z['name']}采取静态化管控"
    return f"将{z['name']}划定为{ZONE_KIND_ZH.get(z['kind'], z['kind'])}"


def _zone_en(z: dict) -> str:
    if z["kind"] == "standstill":
        return f"{z['name']} was put on temporary standstill"
    return f"{z['name']} was designated a {ZONE_KIND_EN.get(z['kind'], z['kind'])}"


def _zones_zh(zones: dict) -> list[str]:
    out = []
    if zones["designated"]:
        parts = []
        for z in zones["designated"]:
            text = f"{zh_month_day(local(z['at']).date())}{zh_time(z['at'])}{_zone_zh(z)}"
            if z["residents"]:
                text += f"(涉及居民{z['residents']}人)"
            parts.append(text)
        out.append(";".join(parts) + "。")
    if zones["ended"]:
        parts = [
            f"{zh_month_day(local(z['at']).date())}{zh_time(z['at'])},{z['name']}"
            + ("解除管控" if z["status"] == "lifted" else "降级管理")
            for z in zones["ended"]
        ]
        out.append(";".join(parts) + "。")
    return out


def _zones_en(zones: dict) -> list[str]:
    out = []
    if zones["designated"]:
        parts = []
        for z in zones["designated"]:
            text = f"at {en_time(z['at'])} on {en_date(local(z['at']).date())}, {_zone_en(z)}"
            if z["residents"]:
                text += f" ({_plural(z['residents'], 'resident', 'residents')} inside)"
            parts.append(text)
        text = "; ".join(parts)
        out.append(text[0].upper() + text[1:] + ".")
    if zones["ended"]:
        parts = [
            f"{z['name']} was {'lifted' if z['status'] == 'lifted' else 'downgraded'} at "
            f"{en_time(z['at'])} on {en_date(local(z['at']).date())}"
            for z in zones["ended"]
        ]
        out.append("; ".join(parts) + ".")
    return out


def _active_zones_zh(active: dict) -> str:
    return "、".join(f"{ZONE_KIND_ZH.get(k, k)}{n}个" for k, n in active.items())


def _active_zones_en(active: dict) -> str:
    return ", ".join(
        _plural(n, ZONE_KIND_EN.get(k, k), ZONE_KIND_EN.get(k, k) + "s") for k, n in active.items()
    )


# ---------------------------------------------------------------------------------------------
# An incident


def incident_text(figures: dict, *, number: int, year: int, day: dt.date) -> BulletinText:
    title_zh, title_en, issuer_zh, issuer_en = titles(figures, number, year)
    out = BulletinText(title_zh, title_en, issuer_zh, issuer_en, date=day)
    district_zh, district_en = figures["district"]["zh"], figures["district"]["en"]
    inc, alarms, retests = figures["incident"], figures["alarms"], figures["retests"]
    zh, en = out.paragraphs_zh, out.paragraphs_en

    first = alarms[0]["reported_at"] if alarms and alarms[0]["reported_at"] else inc["opened_at"]
    when_zh = f"{zh_month_day(local(first).date())}{zh_time(first)}"
    when_en = f"At {en_time(first)} on {en_date(local(first).date())}"
    if alarms:
        labs = sorted({a["lab"] for a in alarms if a["lab"]})
        source_zh = "、".join(labs) if labs else "检测机构"
        zh.append(
            f"{when_zh},{district_zh}疫情防控指挥部接到{source_zh}报告,"
            f"{_alarms_zh(alarms, district_zh)}。"
        )
        source_en = " and ".join(labs) if labs else "the laboratory"
        en.append(
            f"{when_en}, the {district_en} command centre received a report from {source_en}: "
            f"{_alarms_en(alarms)}."
        )
    else:
        zh.append(f"{when_zh},{district_zh}疫情防控指挥部启动应急处置:{inc['title']}。")
        en.append(f"{when_en}, the {district_en} command centre opened a response: {inc['title']}.")

    if retests["total"]:
        members = sum(a["members"] for a in alarms) or retests["total"]
        resampled = retests["sampled"] + retests["negative"] + retests["positive"]
        as_of = figures["incident"]["closed_at"] or figures["as_of"]
        zh_as_of = f"截至{zh_month_day(local(as_of).date())}{zh_time(as_of)}"
        en_as_of = f"By {en_time(as_of)} on {en_date(local(as_of).date())}"
        text_zh = (
            f"接报后,{district_zh}三级网格迅速行动,对涉及的{members}人落实居家等待、"
            f"上门单管复采复检。"
        )
        text_en = (
            f"The three-level grid acted at once: the {_plural(members, 'person', 'people')} "
            "concerned were told to stay at home and re-sampled at home by single tube."
        )
        if retests["negative"] == retests["total"]:
            text_zh += f"{zh_as_of},{retests['total']}人单管复检结果全部为阴性。"
            text_en += f" {en_as_of}, all {retests['total']:,} single-tube retests were negative."
        elif not resampled:
            text_zh += f"{zh_as_of},{retests['pending']}人正在等待上门复采。"
            text_en += (
                f" {en_as_of}, {_plural(retests['pending'], 'person was', 'people were')} "
                "waiting for the sampling team."
            )
        else:
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
            text_zh += "。"
            text_en += "."
        zh.append(text_zh)
        en.append(text_en)

    zh.extend(_zones_zh(figures["zones"]))
    en.extend(_zones_en(figures["zones"]))

    knock = figures["doorknock"]
    if knock["tasks"]:
        zh.append(f"地毯式开展“敲门行动”,涉及楼栋{knock['tasks']}栋,已完成{knock['done']}栋。")
        en.append(
            f"Door-knocking covered {_plural(knock['tasks'], 'building', 'buildings')}; "
            f"{knock['done']:,} finished."
        )

    for r in figures["rounds"]:
        if r.get("role") == "source":
            zh.append(_round_zh(r, with_name=True))
            en.append(_round_en(r, with_name=True))
    merged = figures.get("response")
    if merged:
        first, last = (local(merged[k]).date() for k in ("first_start", "last_start"))
        days_zh = zh_month_day(first) + ("" if first == last else f"至{zh_month_day(last)}")
        days_en = en_date(first) + ("" if first == last else f" to {en_date(last)}")
        rounds_en = _count(merged["count"], "round", "rounds")
        stats = merged["stats"]
        if not (stats["people_total"] or stats["environment"]["tubes"]):
            zh.append(f"{days_zh},全区已部署核酸检测{merged['count']}轮,尚未采集样本。")
            verb = "was" if merged["count"] == 1 else "were"
            en.append(f"On {days_en}, {rounds_en} of testing {verb} set up; no samples yet.")
        else:
            zh.append(f"{days_zh},全区{merged['phrase_zh']}。{_results_zh(merged['tubes'])}")
            phrase = merged["phrase_en"]
            en.append(
                f"On {days_en}, in {rounds_en} of testing, the district "
                f"{phrase[0].lower() + phrase[1:]}. {_results_en(merged['tubes'])}".strip()
            )

    if inc["closed_at"]:
        closed = inc["closed_at"]
        summary = inc["summary"].rstrip("。.") + "。"
        zh.append(f"{zh_month_day(local(closed).date())}{zh_time(closed)},经研判,{summary}")
        summary_en = (inc["summary_en"] or inc["summary"]).rstrip("。.") + "."
        en.append(
            f"At {en_time(closed)} on {en_date(local(closed).date())}, after review: {summary_en}"
        )
    else:
        zh.append("目前,各项处置工作正在有序进行。")
        en.append("The response continues.")
    zh.append(CLOSING_ZH)
    en.append(CLOSING_EN)
    return out


# ---------------------------------------------------------------------------------------------
# A day


def daily_text(figures: dict, *, number: int, year: int, day: dt.date) -> BulletinText:
    title_zh, title_en, issuer_zh, issuer_en = titles(figures, number, year)
    out = BulletinText(title_zh, title_en, issuer_zh, issuer_en, date=day)
    area_zh, area_en = figures["area"]["zh"], figures["area"]["en"]
    district_zh = figures["district"]["zh"]
    zh, en = out.paragraphs_zh, out.paragraphs_en
    zh.append(f"{zh_date(figures['day'])}0时至24时,{area_zh}疫情防控工作情况通报如下:")
    en.append(f"The situation in {area_en} on {en_date(figures['day'])} (00:00 to 24:00):")
    sections_zh: list[tuple[str, str]] = []
    sections_en: list[tuple[str, str]] = []

    rounds = figures["rounds"]
    sections_zh.append(
        (
            "核酸检测",
            "".join(_round_zh(r, with_name=True) for r in rounds) or "当日未开展区域核酸检测。",
        )
    )
    sections_en.append(
        (
            "Testing",
            " ".join(_round_en(r, with_name=True) for r in rounds) or "No area testing round ran.",
        )
    )

    alarms, retests = figures["alarms"], figures["retests"]
    text_zh = (
        f"当日报告{_alarms_zh(alarms, district_zh)}。" if alarms else "当日未报告异常检测结果。"
    )
    text_en = (
        f"Reported: {_alarms_en(alarms)}."
        if alarms
        else "No screening-positive result was reported."
    )
    if retests["new"]:
        text_zh += f"新增单管复采复检{retests['new']}人。"
        text_en += (
            f" {_plural(retests['new'], 'person was', 'people were')} ordered a single-tube retest."
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
        text_zh += "截至发稿," + "、".join(f"{z}{n}人" for n, z, _e in counts) + "。"
        text_en += " So far: " + ", ".join(f"{n:,} {e}" for n, _z, e in counts) + "."
    sections_zh.append(("检测结果", text_zh))
    sections_en.append(("Results", text_en))

    zones = figures["zones"]
    active_zh = _active_zones_zh(zones["active"])
    active_en = _active_zones_en(zones["active"])
    sections_zh.append(
        (
            "风险区域",
            "".join(_zones_zh(zones))
            + (
                f"截至24时,{area_zh}现有{active_zh}。"
                if active_zh
                else f"截至24时,{area_zh}无风险区域。"
            ),
        )
    )
    sections_en.append(
        (
            "Risk zones",
            " ".join(_zones_en(zones))
            + (
                f" At 24:00 there were {active_en}."
                if active_en
                else " At 24:00 no zone was in force."
            ),
        )
    )

    inc = figures["incidents"]
    sections_zh.append(
        (
            "应急处置",
            f"当日启动应急处置{inc['opened']}起,处置完毕{inc['closed']}起,"
            f"截至24时正在处置{inc['open_at_end']}起。",
        )
    )
    sections_en.append(
        (
            "Responses",
            f"{_plural(inc['opened'], 'response was', 'responses were')} opened and "
            f"{inc['closed']:,} closed; {inc['open_at_end']:,} continued at 24:00.",
        )
    )

    tasks = figures["tasks"]
    if not (tasks["created"] or tasks["done"] or tasks.get("open_now")):
        sections_zh.append(("网格任务", "当日无入户敲门、核查等网格任务。"))
        sections_en.append(("Grid tasks", "No door-knocking or check-in task."))
    else:
        text_zh = f"当日新增入户敲门、核查等网格任务{tasks['created']}项,完成{tasks['done']}项"
        text_en = (
            f"Door-knocking and check-ins: {tasks['created']:,} tasks created, "
            f"{tasks['done']:,} finished"
        )
        if "open_now" in tasks:
            text_zh += f",尚未完成{tasks['open_now']}项"
            text_en += f"; {tasks['open_now']:,} open"
            if tasks["overdue_now"]:
                text_zh += f",其中超时{tasks['overdue_now']}项"
                text_en += f", {tasks['overdue_now']:,} of them overdue"
        sections_zh.append(("网格任务", text_zh + "。"))
        sections_en.append(("Grid tasks", text_en + "."))

    for i, (head, body) in enumerate(sections_zh):
        zh.append(f"{ZH_ORDINALS[i]}、{head}。{body}")
    for i, (head, body) in enumerate(sections_en, start=1):
        en.append(f"{i}. {head}. {body.strip()}")
    zh.append(CLOSING_ZH)
    en.append(CLOSING_EN)
    return out
