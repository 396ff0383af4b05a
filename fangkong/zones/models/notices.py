"""The official notices that designate, adjust and lift zones."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel

from .zones import (
    RiskZone,
)


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
    # A drill's notice (a replayed night) is marked 演练 and numbered in a series of its own.
    drill = models.BooleanField(_("drill"), default=False)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(
                fields=["district_code", "year", "drill", "number"],
                name="notice_number_once_a_year",
            ),
        ]

    def __str__(self) -> str:
        return self.number_label

    @property
    def number_label(self) -> str:
        return self.content.get("number_zh", f"〔{self.year}〕{self.number}号")
