"""Record keys as they arrive in URLs and query strings.

A key is a positive 64-bit integer in ASCII digits. Django's `int` path converter takes any
run of digits, so `/…/9223372036854775808/` reached the database and failed there (SQLite:
"Python int too large"; PostgreSQL: out of range) with a 500; `str.isdigit` also accepts
digits such as '²' that `int` refuses. Here a key out of range simply matches nothing (404).
"""

from __future__ import annotations

MAX_KEY = 2**63 - 1


def parse_key(text: str) -> int | None:
    """The key `text` names, or None when it is not one (a 0, a sign, other digits, too big)."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= MAX_KEY else None


class KeyConverter:
    """The `<id:…>` path converter: a key in range, or no match."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        key = parse_key(value)
        if key is None:
            raise ValueError(value)  # the URL does not match: a 404, not a server error
        return key

    def to_url(self, value: int) -> str:
        return str(int(value))
