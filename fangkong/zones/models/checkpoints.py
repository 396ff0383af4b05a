"""Checkpoints on a zone's boundary: guards and their duty log, passes, and the passages
through a checkpoint.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel

from .zones import (
    RiskZone,
)


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
