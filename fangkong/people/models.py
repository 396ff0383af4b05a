"""Residents: who lives in each household, with encrypted identity and phone numbers."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.core.documents import DocumentType
from fangkong.core.models import TimeStampedModel
from fangkong.geo.models import Household


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Residency(models.TextChoices):
    REGISTERED = "registered", _("Registered population")
    FLOATING = "floating", _("Floating population")
    VISITOR = "visitor", _("Visitor")


class ResidentStatus(models.TextChoices):
    ACTIVE = "active", _("Living here")
    MOVED_OUT = "moved_out", _("Moved out")
    DECEASED = "deceased", _("Deceased")


class HealthStatus(models.TextChoices):
    """Where a person stands in the current response; set by testing and tracing services."""

    NORMAL = "normal", _("Normal")
    AWAITING_RETEST = "awaiting_retest", _("Awaiting retest, stay home")
    CASE_TO_INVESTIGATE = "case_to_investigate", _("Positive: case to investigate")


class Tag(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly, living alone")
    MEDICAL_TRIPS = "medical_trips", _("Needs to leave for medical care")
    DISABLED = "disabled", _("Disabled")
    PREGNANT = "pregnant", _("Pregnant")
    INFANT = "infant", _("Infant")
    STUDENT = "student", _("Student")
    CHRONIC_ILLNESS = "chronic_illness", _("Chronic illness")
    BEDRIDDEN = "bedridden", _("Bedridden")


class Resident(TimeStampedModel):
    """A person in the registry. `document_*` and `phone_*` are never stored in clear."""

    document_type = models.CharField(
        _("document type"),
        max_length=20,
        choices=DocumentType.choices,
        default=DocumentType.RESIDENT_ID,
    )
    document_cipher = models.TextField(_("document (encrypted)"), blank=True)
    document_index = models.CharField(
        _("document blind index"), max_length=40, null=True, blank=True
    )
    document_masked = models.CharField(_("document"), max_length=32, blank=True)
    document_converted = models.BooleanField(_("converted from a 15-digit number"), default=False)
    name = models.CharField(_("name"), max_length=64)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True, db_index=True)
    phone_cipher = models.TextField(_("phone (encrypted)"), blank=True)
    phone_index = models.CharField(_("phone blind index"), max_length=40, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    # Whom to call for a person without a document or phone (a child, an elderly person):
    # a name and a phone as typed, so encrypted like the numbers, with a masked form to show.
    guardian_cipher = models.TextField(_("guardian (encrypted)"), blank=True)
    guardian_masked = models.CharField(_("guardian"), max_length=120, blank=True)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="residents"
    )
    area_code = models.CharField(_("grid code"), max_length=64, db_index=True)
    residency = models.CharField(
        _("residency"), max_length=16, choices=Residency.choices, default=Residency.REGISTERED
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ResidentStatus.choices, default=ResidentStatus.ACTIVE
    )
    health_status = models.CharField(
        _("health status"),
        max_length=24,
        choices=HealthStatus.choices,
        default=HealthStatus.NORMAL,
        db_index=True,
    )
    needs_follow_up = models.BooleanField(_("needs follow-up"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["area_code", "household_id", "id"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            # The blind index hashes type and number together, so it alone identifies a
            # document; leading with it lets the sampling hot path look people up by it.
            models.UniqueConstraint(fields=["document_index"], name="resident_unique_document"),
        ]
        # Covers the count of residents in scope by grid (coverage, dashboard) without reading
        # the table.
        indexes = [
            models.Index(fields=["area_code", "status", "residency"], name="resident_area_scope"),
            # The newest change, which keys the cached population counts (selectors).
            models.Index(fields=["updated_at"], name="resident_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.document_masked}"

    @property
    def age(self) -> int | None:
        return age_on(self.birth_date, timezone.localdate()) if self.birth_date else None


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class ResidentTag(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(_("tag"), max_length=32, choices=Tag.choices)

    class Meta:
        verbose_name = _("resident tag")
        constraints = [
            models.UniqueConstraint(fields=["tag", "resident"], name="resident_tag_unique")
        ]

    def __str__(self) -> str:
        return self.get_tag_display()


class ConflictState(models.TextChoices):
    OPEN = "open", _("Waiting for review")
    APPLIED = "applied", _("File's details taken")
    KEPT = "kept", _("Stored details kept")


class ImportConflict(TimeStampedModel):
    """A roster row whose ID number is stored under another name: held for a person to decide,
    never written over the stored resident.

    The file's phone is stored encrypted like the resident's; the ID number is not stored here
    at all (it is the resident's).
    """

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="import_conflicts"
    )
    area_code = models.CharField(_("grid code"), max_length=64, db_index=True)
    source_row = models.PositiveIntegerField(_("row"))
    file_sha256 = models.CharField(max_length=64)
    name = models.CharField(_("name in the file"), max_length=64)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone_cipher = models.TextField(blank=True)
    phone_index = models.CharField(max_length=40, blank=True)
    phone_masked = models.CharField(_("phone in the file"), max_length=20, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=ConflictState.choices, default=ConflictState.OPEN
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["area_code", "id"]
        verbose_name = _("import conflict")
        verbose_name_plural = _("import conflicts")
        constraints = [
            # One open question per person: a later upload replaces what the earlier one asked.
            models.UniqueConstraint(
                fields=["resident"],
                condition=models.Q(state="open"),
                name="import_conflict_one_open",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["open", "applied", "kept"]),
                name="import_conflict_state",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ≠ {self.resident.name}"
