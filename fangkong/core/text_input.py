"""NUL characters in what a client sends are refused at the edge, field by field.

PostgreSQL cannot hold a NUL in text: a query that carries one fails whole, and a filter or a
search that passed a query parameter straight to the database answered 500. SQLite stores it,
and an export or a printed document breaks later. Django's form fields already refuse it; the
query strings, form fields read directly and JSON bodies are checked here, once for all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .errors import RuleViolation

NUL = "\x00"


def nul_violation(field: str) -> RuleViolation:
    return RuleViolation(
        field=field.replace(NUL, "") or "request",
        code="nul_character",
        message=_("This field contains a NUL character (\\u0000), which no text may hold."),
    )


def first_nul_field(data: QueryDict) -> str | None:
    """The name of the first field (or a field whose name) holds a NUL, else None."""
    for name, values in data.lists():
        if NUL in name or any(NUL in value for value in values):
            return name
    return None


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path, str(key)
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}.{i}" if path else str(i))


def check_json_text(raw: bytes, parsed: Any) -> None:
    """Refuse a JSON body whose strings hold a NUL; the common body has no escape to look for."""
    if b"\\u0000" not in raw:
        return
    for path, text in _strings(parsed, ""):
        if NUL in text:
            raise nul_violation(path or "body")


def storable(value: Any) -> Any:
    """`value` (JSON data) with every NUL in its strings replaced by U+FFFD, so PostgreSQL's
    jsonb can hold it: an answer that quotes a client's bad input is stored and replayed."""
    if isinstance(value, str):
        return value.replace(NUL, "\ufffd") if NUL in value else value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value
