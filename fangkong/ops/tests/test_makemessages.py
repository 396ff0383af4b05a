"""Every gettext alias in the code is one the extraction knows, so its strings get translated."""

from __future__ import annotations

import ast
from pathlib import Path

from fangkong.ops.management.commands.makemessages import EXTRA_KEYWORDS, Command

PACKAGE = Path(__file__).resolve().parents[2]
TRANSLATION_FUNCTIONS = {
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
# xgettext's own Python keywords, and the ones Django's makemessages adds.
KNOWN = {"_", "gettext", "ngettext"} | {
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy",
    "pgettext",
    "npgettext",
    "pgettext_lazy",
    "npgettext_lazy",
    *EXTRA_KEYWORDS,
}


def _bound_names(source: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            names |= {a.asname or a.name for a in node.names if a.name in TRANSLATION_FUNCTIONS}
    return names


def test_every_gettext_alias_in_the_code_is_extracted():
    unknown = {}
    for source in PACKAGE.rglob("*.py"):
        if {"tests", "migrations"} & set(source.parts):
            continue
        missing = _bound_names(source) - KNOWN
        if missing:
            unknown[str(source.relative_to(PACKAGE))] = sorted(missing)
    assert unknown == {}, "add these names to EXTRA_KEYWORDS in ops' makemessages"


def test_the_views_alias_is_among_the_keywords():
    assert "_g" in EXTRA_KEYWORDS
    assert "--keyword=_g" in Command.xgettext_options
