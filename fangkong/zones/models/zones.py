"""Risk zones: protocol presets (data), zones and their members, changes, schedules and
evaluations.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
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

    @property
    def label(self) -> str:
        """The preset's title in the user's language, never its file name."""
        titles = (self.data or {}).get("title") or {}
        english = (get_language() or "").startswith("en")
        return (titles.get("en") if english else "") or self.title or self.name


class ZoneKind(models.TextChoices):
    """A zone kind of a protocol, or a temporary standstill (which counts as sealed)."""

    SEALED = "sealed", _("Sealed zone")
    CONTROLLED = "controlled", _("Controlled zone")
    PRECAUTION = "precaution", _("Precaution zone")
    STANDSTILL = "standstill", _("Temporary standstill")
    HIGH = "high", _("High-risk area")
    MEDIUM = "medium", _("Medium-risk area")
    LOW = "low", _("Low-risk area")


class Regime(models.TextChoices):
    """What a zone means for movement: the checkpoints and overlaps go by this."""

    SEALED = "sealed", _("Sealed: no one out")
    CONTROLLED = "controlled", _("Controlled: no one leaves the area")
    PRECAUTION = "precaution", _("Precaution: no gatherings")


class ZoneStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DOWNGRADED = "downgraded", _("Downgraded")
    LIFTED = "lifted", _("Lifted")


class RiskZone(TimeStampedModel):
    """A designated zone: a set of grids, compounds and buildings under one protocol version."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ZoneKind.choices)
    regime = models.CharField(_("regime"), max_length=16, choices=Regime.choices)
    strictness = models.PositiveSmallIntegerField(_("strictness"), default=1)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ZoneStatus.choices,
        default=ZoneStatus.ACTIVE,
        db_index=True,
    )
    protocol = models.ForeignKey(
        ProtocolPreset,
        on_delete=models.PROTECT,
        related_name="zones",
        verbose_name=_("protocol"),
    )
    # The deepest area node holding every member: zones are scoped like everything else.
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    designated_at = models.DateTimeField(_("designated at"))
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("designated by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ended by"),
    )
    end_reason = models.TextField(_("reason for the end"), blank=True)
    downgraded_from = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="downgraded_to",
        verbose_name=_("downgraded from"),
    )
    geometry = models.JSONField(_("shape (GeoJSON)"), null=True, blank=True)
    residents = models.PositiveIntegerField(_("residents"), default=0)
    elderly_alone = models.PositiveIntegerField(_("elderly living alone"), default=0)
    medical_trips = models.PositiveIntegerField(_("needing medical trips"), default=0)

    class Meta:
        ordering = ["-designated_at", "-id"]
        verbose_name = _("risk zone")
        verbose_name_plural = _("risk zones")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ZoneKind.values), name="zone_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(regime__in=Regime.values), name="zone_regime_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ZoneStatus.values), name="zone_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status="active") | models.Q(ended_at__isnull=False),
                name="zone_ended_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == ZoneStatus.ACTIVE


class MemberType(models.TextChoices):
    GRID = "grid", _("Grid")
    COMPOUND = "compound", _("Residential compound")
    BUILDING = "building", _("Building")


class ZoneMember(models.Model):
    """One node of a zone by its code. `area_code` places it in the tree for scoping: the
    grid's or building's own code, a compound's community."""

    zone = models.ForeignKey(RiskZone, on_delete=models.CASCADE, related_name="members")
    node_type = models.CharField(_("type"), max_length=16, choices=MemberType.choices)
    code = models.CharField(_("code"), max_length=64, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)

    class Meta:
        ordering = ["zone", "code"]
        verbose_name = _("zone member")
        verbose_name_plural = _("zone members")
        constraints = [
            models.UniqueConstraint(fields=["zone", "code"], name="zone_member_once"),
        ]

    def __str__(self) -> str:
        return self.name or self.code


class ZoneChange(models.Model):
    """Who designated, downgraded or lifted a zone, when and why, with the checklist then."""

    class Action(models.TextChoices):
        DESIGNATE = "designate", _("Designated")
        DOWNGRADE = "downgrade", _("Downgraded")
        LIFT = "lift", _("Lifted")

    zone = models.ForeignKey(RiskZone, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_name = models.CharField(_("by"), max_length=150)
    reason = models.TextField(_("reason"), blank=True)
    checklist = models.JSONField(_("checklist"), default=list, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("zone change")
        verbose_name_plural = _("zone changes")

    def __str__(self) -> str:
        return f"{self.zone_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class ZoneRound(models.Model):
    """A testing round of the zone's schedule, on `day` counted from designation (day 1)."""

    zone = models.ForeignKey(RiskZone, on_delete=models.CASCADE, related_name="schedule")
    round = models.OneToOneField(
        "testing.TestingRound", on_delete=models.PROTECT, related_name="zone_round"
    )
    day = models.PositiveSmallIntegerField(_("day"))

    class Meta:
        ordering = ["zone", "day"]
        verbose_name = _("scheduled round")
        verbose_name_plural = _("scheduled rounds")
        constraints = [
            models.UniqueConstraint(fields=["zone", "day"], name="zone_round_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id} day {self.day}"


class ZoneEvaluation(TimeStampedModel):
    """The day's lifting checklist of a zone (re-evaluating the same day replaces it)."""

    zone = models.ForeignKey(RiskZone, on_delete=models.CASCADE, related_name="evaluations")
    date = models.DateField(_("date"))
    at = models.DateTimeField(_("evaluated at"))
    reference_date = models.DateField(_("counted from"))
    last_infection_at = models.DateTimeField(_("last infection found"), null=True, blank=True)
    clean_day = models.SmallIntegerField(_("day without infection"))
    proposal = models.CharField(_("proposal"), max_length=16, blank=True)
    downgrade_to = models.CharField(_("downgrade to"), max_length=16, blank=True)
    checklist = models.JSONField(_("checklist"), default=list)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("lifting evaluation")
        verbose_name_plural = _("lifting evaluations")
        constraints = [
            models.UniqueConstraint(fields=["zone", "date"], name="zone_evaluation_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id} {self.date}: {self.proposal or '-'}"
