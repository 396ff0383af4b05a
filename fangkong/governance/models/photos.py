"""Photos of a matter or a patrol, taken on the phone and uploaded with the report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel

from .cases import GovCase
from .rivers import PatrolLog


class Photo(TimeStampedModel):
    """One uploaded photo, re-encoded on receipt (its EXIF, with the phone's position and
    make, dropped) and served only through a scoped page, never as a public file."""

    case = models.ForeignKey(
        GovCase, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    patrol = models.ForeignKey(
        PatrolLog, null=True, blank=True, on_delete=models.CASCADE, related_name="photo_files"
    )
    file = models.FileField(_("file"), max_length=200)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(patrol__isnull=False),
                name="photo_belongs_to_a_case_or_patrol",
            )
        ]

    def __str__(self) -> str:
        return self.file.name
