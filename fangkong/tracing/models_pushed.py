"""Pushed lists (协查): people named by other cities or the police, verified in the district
the same day, row by row, each dispatched to its grid as a verification task."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.documents import DocumentType
from fangkong.core.models import TimeStampedModel
from fangkong.people.models import Resident


class Outcome(models.TextChoices):
    PENDING = "pending", _("To verify")
    CONTROLLED = "controlled", _("Found and under control")
    NOT_IN_DISTRICT = "not_in_district", _("Not in the district")
    LEFT = "left", _("Left the district")
    UNREACHABLE = "unreachable", _("Unreachable")


class PushedList(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("pushed by"), max_length=200, blank=True)
    area_code = models.CharField(_("area code"), max_length=64, db_index=True)
    received_at = models.DateTimeField(_("received at"))
    deadline = models.DateTimeField(_("verify by"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "id"]
        verbose_name = _("pushed list")
        verbose_name_plural = _("pushed lists")

    def __str__(self) -> str:
        return self.name


class PushedRow(TimeStampedModel):
    pushed_list = models.ForeignKey(PushedList, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(_("line"))
    person_name = models.CharField(_("name"), max_length=64, blank=True)
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices, blank=True
    )
    document_index = models.CharField(_("document blind index"), max_length=40, blank=True)
    document_masked = models.CharField(_("document"), max_length=32, blank=True)
    phone_index = models.CharField(_("phone blind index"), max_length=40, blank=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    area_code = models.CharField(_("area code"), max_length=64, db_index=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["pushed_list", "line"]
        verbose_name = _("pushed-list row")
        verbose_name_plural = _("pushed-list rows")
        constraints = [
            models.UniqueConstraint(fields=["pushed_list", "line"], name="pushed_row_once")
        ]
        indexes = [models.Index(fields=["pushed_list", "outcome"], name="pushed_row_outcome")]

    def __str__(self) -> str:
        return f"{self.pushed_list_id}:{self.line}"
