"""Masked forms shown by default: enough to tell two people apart, not to identify one."""

from __future__ import annotations


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
