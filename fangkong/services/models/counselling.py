"""Psychological support: a counselling request's counsellor and confidential notes.

Notes are stored encrypted and read only by the assigned counsellor and the district
commander; each reading is written to the audit log like an unmasking.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .requests import ServiceRequest


class CounsellingAssignment(models.Model):
    request = models.OneToOneField(
        ServiceRequest, on_delete=models.CASCADE, related_name="counselling"
    )
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = models.CharField(_("assigned by"), max_length=150)

    class Meta:
        verbose_name = _("counselling assignment")
        verbose_name_plural = _("counselling assignments")

    def __str__(self) -> str:
        return f"counselling {self.request_id}"


class CounsellingNote(models.Model):
    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="counselling_notes"
    )
    at = models.DateTimeField(_("time"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text_cipher = models.TextField(_("note (encrypted)"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("counselling note")
        verbose_name_plural = _("counselling notes")

    def __str__(self) -> str:
        return f"note {self.pk}"
