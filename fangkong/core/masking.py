"""Masked forms shown by default: enough to tell two people apart, not to identify one."""

from __future__ import annotations

import re


def mask_document(number: str) -> str:
    """`410172199001011234` → `410***********1234`; short numbers keep only their ends."""
    if len(number) >= 10:
        return number[:3] + "*" * (len(number) - 7) + number[-4:]
    if len(number) > 4:
        return number[:1] + "*" * (len(number) - 3) + number[-2:]
    return "*" * len(number)


def mask_phone(phone: str) -> str:
    """`13812345678` → `138****5678`."""
    digits = phone.strip()
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * len(digits)


def mask_name(name: str) -> str:
    """`张三丰` → `张*丰`; used in outgoing messages, never in staff lists."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# An ID number (18 characters or the old 15 digits), a mobile number, or a landline with its
# area code, standing alone in text (not part of a longer run of digits or letters).
_NUMBER_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15}|(?:\+?86[ -]?)?1\d{2}[ -]?\d{4}[ -]?\d{4}"
    r"|0\d{2,3}-?\d{7,8})(?![0-9A-Za-z])"
)


def mask_numbers_in_text(text: str) -> str:
    """Free text with every ID- or phone-shaped number masked:
    `母亲 13812345678` → `母亲 138****5678`; other words stay as they are."""

    def masked(match: re.Match) -> str:
        number = match.group(0)
        digits = re.sub(r"[ +-]", "", number)
        if len(digits) in (15, 18) and not digits.startswith("86"):
            return mask_document(number)
        return mask_phone(digits[-11:] if digits.startswith("86") else digits)

    return _NUMBER_IN_TEXT.sub(masked, text) if text else text


_SEPARATORS = re.compile(r"([\s,，;；:：/、()（）]+)")


def mask_guardian(text: str) -> str:
    """A guardian as typed (a name, a phone, a relation): numbers masked as in
    `mask_numbers_in_text`, every other word masked as a name. `李四 13812345678` →
    `李* 138****5678`."""
    parts = _SEPARATORS.split(mask_numbers_in_text(text.strip()))
    return "".join(
        part
        if _SEPARATORS.fullmatch(part) or any(c.isdigit() or c in "*+-" for c in part)
        else mask_name(part)
        for part in parts
    )
