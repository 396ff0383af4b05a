"""Volunteers and rosters: the registry, shifts with assignments and hours, staff duty rotas.

A volunteer signs up on a public page and is reviewed by the community; shifts are staffed
by skills, availability and nearness; check-in and check-out make the hours ledger. Staff
duty (值班) is kept per unit (an area node) as a rota of who is on when.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel


class VolunteerStatus(models.TextChoices):
    APPLIED = "applied", _("Applied, awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Skill(models.TextChoices):
    DELIVERY = "delivery", _("Delivery")
    DRIVING = "driving", _("Driving")
    MEDICAL = "medical", _("Medical")
    COUNSELLING = "counselling", _("Counselling")
    PHONE = "phone", _("Phone calls")
    ORDER = "order", _("Keeping order")


class Volunteer(TimeStampedModel):
    name = models.CharField(_("name"), max_length=64)
    phone_cipher = models.TextField(_("phone (encrypted)"))
    phone_masked = models.CharField(_("phone"), max_length=20)
    area_code = models.CharField(_("grid"), max_length=64, db_index=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    party_member = models.BooleanField(_("party member"), default=False)
    # Weekdays the volunteer can serve, Monday = 0.
    available_days = models.JSONField(_("available days"), default=list, blank=True)
    test_valid_until = models.DateTimeField(_("negative test valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=VolunteerStatus.choices, default=VolunteerStatus.APPLIED
    )
    reviewed_by = models.CharField(_("reviewed by"), max_length=150, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["area_code", "id"]
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")

    def __str__(self) -> str:
        return f"volunteer {self.pk}"


class ShiftKind(models.TextChoices):
    BOOTH = "booth", _("Sampling booth")
    DELIVERY = "delivery", _("Deliveries")
    CHECKPOINT = "checkpoint", _("Checkpoint")
    PHONE = "phone", _("Phone calls")


class Shift(TimeStampedModel):
    kind = models.CharField(_("kind"), max_length=16, choices=ShiftKind.choices)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    skill = models.CharField(_("skill needed"), max_length=16, choices=Skill.choices, blank=True)
    capacity = models.PositiveSmallIntegerField(_("people needed"), default=1)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shift_not_empty"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="shift_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.starts_at:%m-%d %H:%M}"


class Assignment(models.Model):
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="assignments")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="assignments")
    # Copied from the shift so overlap is one indexed query per volunteer.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2, default=0)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shift", "volunteer"], name="assignment_once"),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True) | Q(checked_in_at__isnull=False),
                name="checkout_after_checkin",
            ),
        ]
        indexes = [
            models.Index(fields=["volunteer", "starts_at"], name="assignment_volunteer_time")
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id}@{self.shift_id}"


class DutyShift(TimeStampedModel):
    """One staff member on duty (值班) for a unit from `starts_at` to `ends_at`."""

    area_code = models.CharField(_("unit"), max_length=64, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    post = models.CharField(_("post"), max_length=64, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty rota")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="duty_not_empty")
        ]

    def __str__(self) -> str:
        return f"duty {self.user_id} {self.starts_at:%m-%d %H:%M}"
