"""Risk zones: protocol presets (data), zones and their members, schedules, evaluations,
checkpoints, guards and passes, passages, and the official notices.

Invariants the database can hold are constraints: one row per preset version, one member per
node and zone, one round per zone and day, one passage decision per row, one notice number
per district and year.
"""

from __future__ import annotations

from django.conf import settings
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


class Checkpoint(TimeStampedModel):
    """A checkpoint (卡点) on a zone's boundary: a geo place of kind checkpoint, its guards."""

    zone = models.ForeignKey(RiskZone, on_delete=models.CASCADE, related_name="checkpoints")
    place = models.ForeignKey(
        "geo.Place", on_delete=models.PROTECT, related_name="zone_checkpoints"
    )
    name = models.CharField(_("name"), max_length=100)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    guards = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="checkpoints", verbose_name=_("guards")
    )

    class Meta:
        ordering = ["zone", "name"]
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        constraints = [
            models.UniqueConstraint(fields=["zone", "place"], name="checkpoint_once_per_zone"),
        ]

    def __str__(self) -> str:
        return self.name


class DutyKind(models.TextChoices):
    ON_DUTY = "on_duty", _("On duty")
    OFF_DUTY = "off_duty", _("Off duty (handed over)")
    DISINFECTION = "disinfection", _("Disinfection")
    SUPPLY_HANDOVER = "supply_handover", _("Supply hand-over")
    NOTE = "note", _("Note")


class DutyLogEntry(models.Model):
    """The checkpoint's duty log: shifts, disinfection rounds, supplies handed over."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="duty_log")
    kind = models.CharField(_("kind"), max_length=16, choices=DutyKind.choices)
    at = models.DateTimeField(_("time"), db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_name = models.CharField(_("by"), max_length=150)
    note = models.CharField(_("note"), max_length=300, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    counterpart = models.CharField(_("handed to / received from"), max_length=100, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("duty log entry")
        verbose_name_plural = _("duty log")

    def __str__(self) -> str:
        return f"{self.checkpoint_id} {self.kind} {self.at:%H:%M}"


class PassPurpose(models.TextChoices):
    MEDICAL = "medical", _("Medical trip")
    SUPPLY = "supply", _("Supply delivery")
    STAFF = "staff", _("Staff on duty")
    EMERGENCY = "emergency", _("Emergency")


class PassSubject(models.TextChoices):
    PERSON = "person", _("Person")
    VEHICLE = "vehicle", _("Vehicle")


class Pass(TimeStampedModel):
    """A pass (通行证) through a zone's checkpoints. Its QR code carries only the signed pass
    number; who holds it is looked up here, and a revoked pass is refused at once."""

    zone = models.ForeignKey(RiskZone, on_delete=models.PROTECT, related_name="passes")
    subject = models.CharField(_("for"), max_length=16, choices=PassSubject.choices)
    purpose = models.CharField(_("purpose"), max_length=16, choices=PassPurpose.choices)
    resident = models.ForeignKey(
        "people.Resident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="zone_passes",
        verbose_name=_("resident"),
    )
    holder = models.CharField(_("holder (masked)"), max_length=64, blank=True)
    plate = models.CharField(_("vehicle plate"), max_length=16, blank=True)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_by_name = models.CharField(_("issued by"), max_length=150)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by_name = models.CharField(_("revoked by"), max_length=150, blank=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("pass")
        verbose_name_plural = _("passes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gt=models.F("valid_from")),
                name="pass_window_not_empty",
            ),
            models.CheckConstraint(
                condition=models.Q(subject="person") | ~models.Q(plate=""),
                name="pass_vehicle_has_plate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.get_purpose_display()}"

    @property
    def number(self) -> str:
        return f"TX{self.pk:06d}"


class Direction(models.TextChoices):
    OUT = "out", _("Out of the zone")
    IN = "in", _("Into the zone")


class Passage(models.Model):
    """One passage checked at a checkpoint, allowed or not, with the rule that decided."""

    # Indexed with the time below (passage_checkpoint_at): a second index on the key alone
    # would only cost every passage logged another write.
    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.CASCADE, related_name="passages", db_index=False
    )
    at = models.DateTimeField(_("time"))
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    decision = models.CharField(
        _("decision"), max_length=8, choices=[("allow", _("Allow")), ("deny", _("Deny"))]
    )
    rule = models.CharField(_("rule"), max_length=32)
    zone_kind = models.CharField(_("zone kind"), max_length=16, blank=True)
    pass_used = models.ForeignKey(
        Pass, null=True, blank=True, on_delete=models.SET_NULL, related_name="passages"
    )
    resident = models.ForeignKey(
        "people.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(_("who or what (masked)"), max_length=64, blank=True)
    by_name = models.CharField(_("checked by"), max_length=150)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("passage")
        verbose_name_plural = _("passages")
        indexes = [models.Index(fields=["checkpoint", "at"], name="passage_checkpoint_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__in=["allow", "deny"]), name="passage_decision_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint_id} {self.direction} {self.decision}"


class NoticeKind(models.TextChoices):
    DESIGNATION = "designation", _("Designation")
    DOWNGRADE = "downgrade", _("Downgrade")
    LIFT = "lift", _("Lift")


class Notice(TimeStampedModel):
    """An official notice (通告) of the district's command centre, numbered per year and
    archived as issued: the text, the print-ready HTML in both languages and the PDF."""

    district_code = models.CharField(_("district"), max_length=64)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    zones = models.ManyToManyField(RiskZone, related_name="notices", verbose_name=_("zones"))
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=300)
    content = models.JSONField(_("content"))
    html_zh = models.TextField(_("HTML (Chinese)"))
    html_en = models.TextField(_("HTML (English)"))
    pdf_zh = models.BinaryField(_("PDF (Chinese)"))
    effective_at = models.DateTimeField(_("effective from"))
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_by_name = models.CharField(_("issued by"), max_length=150)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(
                fields=["district_code", "year", "number"], name="notice_number_once_a_year"
            ),
        ]

    def __str__(self) -> str:
        return self.number_label

    @property
    def number_label(self) -> str:
        return self.content.get("number_zh", f"〔{self.year}〕第{self.number}号")
