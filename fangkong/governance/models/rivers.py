"""River chiefs (河长制): rivers, their segments, the chief of each segment at each level,
patrol logs from the phone, and hazards in the four categories (四乱) as cases."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel

from .cases import GovCase


class ChiefLevel(models.TextChoices):
    COUNTY = "county", _("County chief")
    TOWNSHIP = "township", _("Township chief")
    VILLAGE = "village", _("Village chief")


class River(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=32, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("river")
        verbose_name_plural = _("rivers")

    def __str__(self) -> str:
        return self.name


class RiverSegment(TimeStampedModel):
    river = models.ForeignKey(River, on_delete=models.PROTECT, related_name="segments")
    name = models.CharField(_("name"), max_length=100)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)

    class Meta:
        ordering = ["river", "name"]
        verbose_name = _("river segment")
        verbose_name_plural = _("river segments")

    def __str__(self) -> str:
        return f"{self.river.name}·{self.name}"


class RiverChief(TimeStampedModel):
    segment = models.ForeignKey(RiverSegment, on_delete=models.PROTECT, related_name="chiefs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="river_chiefs"
    )
    level = models.CharField(_("level"), max_length=16, choices=ChiefLevel.choices)

    class Meta:
        verbose_name = _("river chief")
        verbose_name_plural = _("river chiefs")
        constraints = [
            models.UniqueConstraint(fields=["segment", "level"], name="one_chief_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.segment} {self.level} {self.user}"


class PatrolLog(TimeStampedModel):
    """One patrol: when, where it went (a GeoJSON-like list of [lon, lat]), what was found."""

    chief = models.ForeignKey(RiverChief, on_delete=models.PROTECT, related_name="patrols")
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    track = models.JSONField(_("track"), default=list, blank=True)
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0)
    photos = models.JSONField(_("photos"), default=list, blank=True)
    problems = models.TextField(_("problems found"), blank=True)
    counts = models.BooleanField(_("counts towards the plan"), default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("patrol log")
        verbose_name_plural = _("patrol logs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gt=models.F("started_at")),
                name="patrol_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.chief_id} {self.started_at:%Y-%m-%d}"

    @property
    def minutes(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds() // 60)


class HazardCategory(models.TextChoices):
    OCCUPY = "occupy", _("Illegal occupation (乱占)")
    EXTRACT = "extract", _("Illegal extraction (乱采)")
    DUMP = "dump", _("Illegal dumping (乱堆)")
    BUILD = "build", _("Illegal building (乱建)")


class Hazard(TimeStampedModel):
    """A river hazard is a case of kind `river_hazard`: found → assigned with a deadline →
    being fixed → re-checked → closed off the list (销号)."""

    case = models.OneToOneField(GovCase, on_delete=models.CASCADE, related_name="hazard")
    segment = models.ForeignKey(RiverSegment, on_delete=models.PROTECT, related_name="hazards")
    category = models.CharField(_("category"), max_length=16, choices=HazardCategory.choices)
    patrol = models.ForeignKey(
        PatrolLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="hazards"
    )

    class Meta:
        verbose_name = _("river hazard")
        verbose_name_plural = _("river hazards")

    def __str__(self) -> str:
        return f"{self.segment} {self.category}"
