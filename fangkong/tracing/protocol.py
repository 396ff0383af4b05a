"""The protocol's tracing numbers, read through the zones protocol loader (never constants)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from fangkong.core.errors import RuleViolation
from fangkong.protocols import preset_files
from fangkong.zones.protocol_tracing import tracing_rules, window_minutes
from fangkong.zones.protocols import get_preset

__all__ = ["TracingProtocol", "tracing_protocol", "window_minutes"]


@dataclass(frozen=True)
class TracingProtocol:
    name: str
    version: int
    data: dict  # the whole preset (normalised)
    rules: dict  # its `tracing` section

    def contact_rule(self, tier: str) -> dict | None:
        """The preset's rule for a tier of contact (its orders and test days), or None."""
        return next((c for c in self.data.get("contacts", []) if c["tier"] == tier), None)


def tracing_protocol(name: str | None = None) -> TracingProtocol:
    """The preset in force (the default unless named) with its tracing rules."""
    preset = get_preset(name or None)
    if preset is None:
        raise RuleViolation(
            field="protocol", code="unknown", message=_("No protocol preset has this name.")
        )
    rules = tracing_rules(preset.data)
    if rules is None:
        raise RuleViolation(
            field="protocol",
            code="no_tracing_rules",
            message=_(
                "This protocol has no tracing rules: load the presets again "
                "(fangkong protocol load)."
            ),
        )
    return TracingProtocol(preset.name, preset.version, preset.data, rules)


def preset_choices() -> list[tuple[str, str]]:
    """(name, title in the user's language) of the presets that carry tracing rules."""
    return [(name, get_preset(name).label) for name in preset_names()]


def preset_label(name: str, version: int) -> str:
    """The title of that version of a preset in the user's language; its name if it is gone."""
    preset = get_preset(name, version)
    return preset.label if preset is not None else name


def preset_names() -> list[str]:
    """The names of the shipped presets that carry tracing rules."""
    names = []
    for preset_name in sorted(path.stem for path in preset_files()):
        preset = get_preset(preset_name)
        if preset is not None and tracing_rules(preset.data) is not None:
            names.append(preset_name)
    return names
