"""A bulletin's wording, in Chinese and in English, from its figures: the parts every bulletin
shares (titles, counts, alarms, rounds, zones); `bulletin_incident` and `bulletin_daily` write
the two kinds.

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

from fangkong.core.official import (
    DRILL_MARK_EN,
    DRILL_MARK_ZH,
    document_number,
    document_number_en,
    issuer_prefix,
)

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

CLOSING_ZH = "请广大居民群众继续做好个人防护，积极配合落实各项防控措施。"
CLOSING_EN = (
    "Residents are asked to keep protecting themselves and to follow every measure in force."
)
ZH_ORDINALS = "一二三四五六七八九十"


@dataclass
class BulletinText:
    """A bulletin laid out after GB/T 9704: [演练 mark,] document number, subject line, body,
    issuer and date."""

    title_zh: str
    title_en: str
    issuer_zh: str
    issuer_en: str
    paragraphs_zh: list[str] = field(default_factory=list)
    paragraphs_en: list[str] = field(default_factory=list)
    date: dt.date | None = None
    number_zh: str = ""
    number_en: str = ""
    drill: bool = False

    @property
    def date_zh(self) -> str:
        return zh_date(self.date)

    @property
    def date_en(self) -> str:
        return en_date(self.date)

    @property
    def header_zh(self) -> list[str]:
        return [*([DRILL_MARK_ZH] if self.drill else []), self.number_zh, self.title_zh]

    @property
    def header_en(self) -> list[str]:
        return [*([DRILL_MARK_EN] if self.drill else []), self.number_en, self.title_en]

    @property
    def text_zh(self) -> str:
        return "\n\n".join([*self.header_zh, *self.paragraphs_zh, self.issuer_zh, self.date_zh])

    @property
    def text_en(self) -> str:
        return "\n\n".join([*self.header_en, self.issuer_en, *self.paragraphs_en, self.date_en])


@dataclass(frozen=True)
class Heading:
    issuer_zh: str
    issuer_en: str
    number_zh: str
    number_en: str


def heading(figures: dict, number: int, year: int, *, drill: bool = False) -> Heading:
    """The issuer and the document number (高新防控〔2022〕1号; a drill's in its own series)."""
    d = figures["district"]
    issuer_zh = f"{d['zh']}疫情防控指挥部"
    issuer_en = f"{d['en']} Epidemic Prevention and Control Command"
    prefix = issuer_prefix(d["zh"])
    return Heading(
        issuer_zh=issuer_zh,
        issuer_en=issuer_en,
        number_zh=document_number(
            prefix=prefix, series="通报", year=year, number=number, drill=drill
        ),
        number_en=document_number_en(
            prefix_en=f"{d['en']} Command",
            series="Bulletin",
            year=year,
            number=number,
            drill=drill,
        ),
    )


def bulletin_text(
    head: Heading, title_zh: str, title_en: str, *, day: dt.date, drill: bool
) -> BulletinText:
    return BulletinText(
        title_zh,
        title_en,
        head.issuer_zh,
        head.issuer_en,
        date=day,
        number_zh=head.number_zh,
        number_en=head.number_en,
        drill=drill,
    )


WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def count(n: int, one: str, many: str) -> str:
    """`one 20:1 pooled tube`, `12 people`: words up to ten, as English prose writes them."""
    return f"{WORDS[n] if 0 <= n <= 10 else f'{n:,}'} {one if n == 1 else many}"


def pool_zh(a: dict) -> str:
    if a["kind"] == "environment":
        return "外环境样本"
    return "单采单检样本" if a["capacity"] == 1 else f"{a['capacity']}混1"


def pool_en(a: dict) -> str:
    if a["kind"] == "environment":
        return "environmental"
    return "single-tube" if a["capacity"] == 1 else f"{a['capacity']}:1 pooled"


def alarm_groups(alarms: list[dict]) -> Counter:
    return Counter(
        (
            a["subdistrict_zh"],
            a["place_zh"],
            a["subdistrict_en"],
            a["place_en"],
            pool_zh(a),
            pool_en(a),
            a["result"],
        )
        for a in alarms
    )


def alarms_zh(alarms: list[dict], district_zh: str) -> str:
    parts = []
    for (sub, place, _se, _pe, pool, _pool, result), n in alarm_groups(alarms).items():
        where = f"{district_zh}{sub}{place}" if place else district_zh
        parts.append(f"{where}，{pool}结果{RESULT_ZH.get(result, result)}{n}管")
    return ";".join(parts)


def alarms_en(alarms: list[dict]) -> str:
    parts = []
    for (_sz, _pz, sub, place, _pool, pool, result), n in alarm_groups(alarms).items():
        where = f" from {place} ({sub})" if place else ""
        tubes = count(n, f"{pool} tube", f"{pool} tubes")
        parts.append(f"{tubes}{where}, {RESULT_EN.get(result, result)}")
    return "; ".join(parts)


def round_label_zh(r: dict) -> str:
    return "全区" if r["whole_district"] else "、".join(a["zh"] for a in r["areas"])


def round_label_en(r: dict) -> str:
    return "district-wide" if r["whole_district"] else ", ".join(a["en"] for a in r["areas"])


def results_zh(t: dict) -> str:
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
    text = f"已出结果{r}管，其中" + "、".join(parts)
    if c > r:
        text += f"，其余{c - r}管正在检测"
    return text + "。"


def results_en(t: dict) -> str:
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
    text = f"Results are in for {plural(r, 'tube', 'tubes')}: " + ", ".join(parts)
    if c > r:
        text += f"; {c - r:,} still in the lab"
    return text + "."


def round_zh(r: dict, with_name: bool) -> str:
    head = f"{r['name']}：" if with_name else f"{zh_month_day(local(r['starts_at']).date())}，"
    return f"{head}{round_label_zh(r)}{r['phrase_zh']}。{results_zh(r['tubes'])}"


def round_en(r: dict, with_name: bool) -> str:
    head = f"{r['name']}: " if with_name else f"On {en_date(local(r['starts_at']).date())}, "
    phrase = r["phrase_en"]
    return f"{head}{round_label_en(r)}, {phrase[0].lower() + phrase[1:]}. {results_en(r['tubes'])}".strip()


def zone_zh(z: dict) -> str:
    if z["kind"] == "standstill":
        return f"对{z['name']}实施临时静态管理"
    return f"将{z['name']}划定为{ZONE_KIND_ZH.get(z['kind'], z['kind'])}"


def zone_en(z: dict) -> str:
    name = z.get("name_en") or z["name"]
    if z["kind"] == "standstill":
        return f"{name} was put under temporary standstill"
    return f"{name} was designated a {ZONE_KIND_EN.get(z['kind'], z['kind'])}"


def zone_end_zh(z: dict) -> str:
    """解封 for a sealed zone only; a standstill is 解除临时静态管理; others 解除管控 or 降级."""
    if z["status"] != "lifted":
        return "降级管理"
    return {"standstill": "解除临时静态管理", "sealed": "解封"}.get(z["kind"], "解除管控")


def zones_designated_zh(zones: dict) -> str:
    parts = []
    for z in zones["designated"]:
        text = f"{zh_month_day(local(z['at']).date())}{zh_time(z['at'])}{zone_zh(z)}"
        if z["residents"]:
            text += f"（涉及居民{z['residents']}人）"
        parts.append(text)
    return "；".join(parts) + "。" if parts else ""


def zones_designated_en(zones: dict) -> str:
    parts = []
    for z in zones["designated"]:
        text = f"at {en_time(z['at'])} on {en_date(local(z['at']).date())}, {zone_en(z)}"
        if z["residents"]:
            text += f" ({plural(z['residents'], 'resident', 'residents')} inside)"
        parts.append(text)
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "." if text else ""


def zones_ended_zh(zones: dict) -> str:
    parts = [
        f"{zh_month_day(local(z['at']).date())}{zh_time(z['at'])}，{z['name']}{zone_end_zh(z)}"
        for z in zones["ended"]
    ]
    return "；".join(parts) + "。" if parts else ""


def zones_ended_en(zones: dict) -> str:
    parts = [
        f"{z.get('name_en') or z['name']} was "
        f"{'lifted' if z['status'] == 'lifted' else 'downgraded'} at "
        f"{en_time(z['at'])} on {en_date(local(z['at']).date())}"
        for z in zones["ended"]
    ]
    return "; ".join(parts) + "." if parts else ""


def zones_zh(zones: dict) -> list[str]:
    return [t for t in (zones_designated_zh(zones), zones_ended_zh(zones)) if t]


def zones_en(zones: dict) -> list[str]:
    return [t for t in (zones_designated_en(zones), zones_ended_en(zones)) if t]


def active_zones_zh(active: dict) -> str:
    return "、".join(f"{ZONE_KIND_ZH.get(k, k)}{n}个" for k, n in active.items())


def active_zones_en(active: dict) -> str:
    return ", ".join(
        plural(n, ZONE_KIND_EN.get(k, k), ZONE_KIND_EN.get(k, k) + "s") for k, n in active.items()
    )
