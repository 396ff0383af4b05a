"""Daily follow-up of people under control orders: one report a day, by themselves or by the
grid worker for them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel

from .models import ControlOrder


class ReportChannel(models.TextChoices):
    SELF = "self", _("Self-report")
    GRID_WORKER = "grid_worker", _("Grid worker")


class FollowUpReport(TimeStampedModel):
    order = models.ForeignKey(ControlOrder, on_delete=models.CASCADE, related_name="reports")
    day = models.DateField(_("day"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.CharField(_("symptoms"), max_length=200, blank=True)
    channel = models.CharField(_("reported by"), max_length=12, choices=ReportChannel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-day", "id"]
        verbose_name = _("follow-up report")
        verbose_name_plural = _("follow-up reports")
        constraints = [
            models.UniqueConstraint(fields=["order", "day"], name="followup_once_a_day"),
            models.CheckConstraint(
                condition=models.Q(temperature__gte=30) & models.Q(temperature__lte=45),
                name="followup_temperature_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.day} {self.temperature}"
