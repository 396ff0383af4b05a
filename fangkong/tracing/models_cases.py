"""Cases and their investigation: the clocks of the protocol and the itinerary (轨迹)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.documents import DocumentType
from fangkong.core.models import TimeStampedModel
from fangkong.people.models import Resident

from .models import ContactTier, Venue


class CaseKind(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed case")
    ASYMPTOMATIC = "asymptomatic", _("Asymptomatic infection")


class CaseSource(models.TextChoices):
    RETEST = "retest", _("Positive single-tube retest")
    LAB = "lab", _("Lab result")
    MANUAL = "manual", _("Entered by hand")
    PUSHED = "pushed", _("Pushed list")


class CaseState(models.TextChoices):
    OPEN = "open", _("Under investigation")
    INVESTIGATED = "investigated", _("Investigated")


class Case(TimeStampedModel):
    """A positive person under investigation. The clocks come from the protocol in force when
    the case opened: report within N hours, case investigation within M hours."""

    kind = models.CharField(_("kind"), max_length=12, choices=CaseKind.choices)
    source = models.CharField(_("source"), max_length=8, choices=CaseSource.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=CaseState.choices, default=CaseState.OPEN
    )
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person_name = models.CharField(_("name"), max_length=64, blank=True)
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices
    )
    document_cipher = models.TextField(_("document (encrypted)"))
    document_index = models.CharField(_("document blind index"), max_length=40, db_index=True)
    document_masked = models.CharField(_("document"), max_length=32)
    area_code = models.CharField(_("area code"), max_length=64, db_index=True)
    onset_date = models.DateField(_("onset date"), null=True, blank=True)
    sampling_date = models.DateField(_("sampling date"), null=True, blank=True)
    team = models.CharField(_("investigator team"), max_length=100, blank=True)
    protocol = models.CharField(_("protocol"), max_length=80)
    opened_at = models.DateTimeField(_("opened at"))
    report_due_at = models.DateTimeField(_("report due"))
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    investigation_due_at = models.DateTimeField(_("investigation due"))
    investigated_at = models.DateTimeField(_("investigated at"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "id"]
        # "case" is also the governance app's 案件: here it is an epidemic case, 病例.
        verbose_name = pgettext_lazy("epidemic", "case")
        verbose_name_plural = pgettext_lazy("epidemic", "cases")
        constraints = [
            # One open investigation per person, whatever the spelling of their document.
            models.UniqueConstraint(
                fields=["document_index"],
                condition=models.Q(state="open"),
                name="case_one_open_per_person",
            )
        ]
        indexes = [
            models.Index(fields=["state", "investigation_due_at"], name="case_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.person_name or self.document_masked}"


class ItineraryStop(TimeStampedModel):
    """One place on a case's itinerary: where, from when to when, with whom, how they came."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stops")
    place = models.CharField(_("place"), max_length=200)
    venue = models.ForeignKey(
        Venue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    arrived_at = models.DateTimeField(_("arrived at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    companions = models.CharField(_("companions"), max_length=200, blank=True)
    transport = models.CharField(_("transport"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["arrived_at", "id"]
        verbose_name = _("itinerary stop")
        verbose_name_plural = _("itinerary stops")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(left_at__isnull=True)
                | models.Q(left_at__gte=models.F("arrived_at")),
                name="stop_leaves_after_arriving",
            )
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.arrived_at:%m-%d %H:%M}"


class ContactSource(models.TextChoices):
    HOUSEHOLD = "household", _("Lives with the case")
    FLOOR = "floor", _("Same or adjacent floor")
    VENUE = "venue", _("Venue scan")
    MANUAL = "manual", _("Found by the investigator")


class ContactState(models.TextChoices):
    ACTIVE = "active", _("Active")
    CONVERTED = "converted", _("Became a case")
    DROPPED = "dropped", _("Dropped")


class Contact(TimeStampedModel):
    """A person exposed to a case (close, exposed) or to a close contact (secondary, `via`)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="contacts")
    via = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="secondaries"
    )
    tier = models.CharField(_("tier"), max_length=10, choices=ContactTier.choices)
    source = models.CharField(_("source"), max_length=10, choices=ContactSource.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=ContactState.choices, default=ContactState.ACTIVE
    )
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person_name = models.CharField(_("name"), max_length=64, blank=True)
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices
    )
    document_cipher = models.TextField(_("document (encrypted)"), blank=True)
    document_index = models.CharField(_("document blind index"), max_length=40, db_index=True)
    document_masked = models.CharField(_("document"), max_length=32)
    area_code = models.CharField(_("area code"), max_length=64, db_index=True)
    last_exposure = models.DateField(_("last exposure"))
    # A contact living beyond the district: named here, pushed out to that district's list.
    destination = models.CharField(_("pushed out to"), max_length=100, blank=True)
    reclassified_at = models.DateTimeField(_("reclassified at"), null=True, blank=True)

    class Meta:
        ordering = ["case", "tier", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "document_index"], name="contact_once_per_case"
            ),
            models.CheckConstraint(
                condition=~models.Q(tier="secondary")
                | models.Q(via__isnull=False)
                | models.Q(source="floor"),
                name="secondary_contact_has_its_close_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} {self.person_name or self.document_masked}"
