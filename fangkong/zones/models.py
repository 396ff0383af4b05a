"""Risk zones: protocol presets (data), zones and their members, schedules, evaluations,
checkpoints, guards and passes, passages, and the official notices.

Invariants the database can hold are constraints: one row per preset version, one member per
node and zone, one round per zone and day, one passage decision per row, one notice number
per district and year.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel


class ProtocolPreset(TimeStampedModel):
    """One version of a protocol: zone kinds, measures, schedules, lifting rules, contacts.

    Loaded from `fangkong/protocols/<name>.yaml` (or copied and edited in the back office);
    a version that zones were designated under never changes.
    """

    name = models.CharField(_("name"), max_length=80)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    data = models.JSONField(_("rules"))
    checksum = models.CharField(max_length=64, blank=True)
    loaded_from = models.CharField(_("loaded from"), max_length=300, blank=True)
    district_code = models.CharField(
        _("district"),
        max_length=64,
        blank=True,
        help_text=_("Empty for a shipped preset; the district's code for its own copy."),
    )

    class Meta:
        ordering = ["name", "-version"]
        verbose_name = _("protocol preset")
        verbose_name_plural = _("protocol presets")
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="preset_name_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
