"""Message templates in Chinese and English, and the texts staff broadcast themselves.

These are documents sent to people, not interface text: an SMS must read the same whatever
the catalogue says, so both languages are written here (like `testing.selectors.bulletin_phrase`).
A template's context holds only masked or public data: names masked (张*丰), never a document
or phone number. Texts for building intercoms and residents' group chats are produced here
from the data and handed to staff; nothing is sent.
"""

from __future__ import annotations

import datetime as dt
import string

from django.utils import timezone

from fangkong.core.masking import mask_document, mask_phone

LANGS = ("zh", "en")

TEMPLATES: dict[str, dict[str, str]] = {
    "pool_positive": {
        "zh": "{area}：{pool}样本{barcode}（{station}）{result_zh}，涉及{members}人，"
        "已下达单管复采复检{orders}份，{households}户居家等待。请立即到岗。",
        "en": "{area_en}: {pool_en} tube {barcode} ({station}) {result_en}; {members} people "
        "listed, {orders} single-tube retests ordered, {households} households told to stay "
        "home. Report for duty now.",
    },
    "pool_cleared": {
        "zh": "{area}：混管{barcode}涉及人员单管复检结果全部为阴性。",
        "en": "{area_en}: every member of tube {barcode} re-tested negative by single tube.",
    },
    "person_positive": {
        "zh": "{area}：混管{barcode}的单管复检结果为阳性，请立即开展流调溯源。",
        "en": "{area_en}: a single-tube retest from tube {barcode} is positive; start the "
        "investigation now.",
    },
    "zone_designated": {
        "zh": "{name}{action_zh}：区内居民{residents}人，其中独居老人{elderly}人、"
        "有外出就医需求{medical}人。",
        "en": "{name} designated a {kind_en}: {residents} residents inside, {elderly} elderly "
        "living alone, {medical} needing medical trips.",
    },
    "zone_lifted": {
        "zh": "{name}（{kind_zh}）已解除。",
        "en": "{name} ({kind_en}) lifted.",
    },
    "incident_role": {
        "zh": "您已被指定为“{incident}”的{role_zh}。",
        "en": "You are {role_en} of “{incident}”.",
    },
    "roll_call": {
        "zh": "“{incident}”已启动，请立即到岗并确认。",
        "en": "“{incident}” is open: go to your post now and confirm.",
    },
    "bulletin_published": {
        "zh": "{title_zh}已印发。",
        "en": "{title_en} issued.",
    },
    "retest_stay_home": {
        "zh": "【{district}疫情防控】{name}您好：您{date}参加的核酸检测需要单管复核，"
        "请您和家人暂不外出，居家等待工作人员上门采样。感谢您的配合！",
        "en": "[{district_en} epidemic control] Dear {name}, the test you took on {date_en} "
        "needs a single-tube recheck. Please stay at home with your family and wait for the "
        "sampling team to visit. Thank you.",
    },
}

RESULT_ZH = {"presumptive_positive": "疑似初筛阳性", "positive": "初筛阳性"}
RESULT_EN = {"presumptive_positive": "presumptive positive", "positive": "positive"}
ZONE_KIND_ZH = {
    "sealed": "封控区",
    "controlled": "管控区",
    "precaution": "防范区",
    "standstill": "临时静态管理",
    "high": "高风险区",
    "medium": "中风险区",
    "low": "低风险区",
}
ZONE_KIND_EN = {
    "sealed": "sealed zone",
    "controlled": "controlled zone",
    "precaution": "precaution zone",
    "standstill": "temporary standstill",
    "high": "high-risk area",
    "medium": "medium-risk area",
    "low": "low-risk area",
}
ROLE_ZH = {
    "commander": "指挥长",
    "deputy": "副指挥长",
    "testing": "核酸检测组组长",
    "control": "社会面管控组组长",
    "tracing": "流调溯源组组长",
    "supplies": "生活保障组组长",
    "medical": "医疗救治组组长",
    "information": "信息宣传组组长",
    "liaison": "联络员",
}
ROLE_EN = {
    "commander": "commander",
    "deputy": "deputy commander",
    "testing": "testing group lead",
    "control": "zone control group lead",
    "tracing": "investigation group lead",
    "supplies": "supplies group lead",
    "medical": "medical group lead",
    "information": "information group lead",
    "liaison": "liaison",
}


def lang_key(language: str | None) -> str:
    return "en" if (language or "").lower().startswith("en") else "zh"


def pool_label(capacity: int, lang: str) -> str:
    if lang == "en":
        return "single-tube" if capacity == 1 else f"{capacity}:1 pooled"
    return "单管" if capacity == 1 else f"{capacity}混1"


def render(template_key: str, context: dict, language: str | None) -> str:
    """The template in the language, filled from the context; unknown fields stay visible."""
    text = TEMPLATES[template_key][lang_key(language)]
    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    values = {name: context.get(name, "") for name in fields}
    return text.format(**values)


def scrub(text: str, *secrets: str) -> str:
    """Replace any clear phone or document number that slipped into `text` by its mask."""
    for secret in secrets:
        if secret and secret in text:
            masked = mask_phone(secret) if len(secret) <= 12 else mask_document(secret)
            text = text.replace(secret, masked)
    return text


# ---------------------------------------------------------------------------------------------
# Time in the register of notices


def local(at: dt.datetime) -> dt.datetime:
    return timezone.localtime(at)


def zh_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def zh_month_day(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def zh_time(at: dt.datetime) -> str:
    """`3时04分`: the hour without padding, minutes with, as notices print them."""
    at = local(at)
    return f"{at.hour}时{at.minute:02d}分"


def en_date(day: dt.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def en_time(at: dt.datetime) -> str:
    return f"{local(at):%H:%M}"
