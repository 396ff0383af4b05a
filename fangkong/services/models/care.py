"""Care needs kept beside the registry: what the registry's tags do not say.

The registry tags who is elderly and alone, pregnant, chronically ill; the care profile adds
what services must plan for: no smartphone (someone must raise requests for them), dialysis
days, the medicine refill cycle, a due date.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel

MAX_REFILL_DAYS = 90  # chronic prescriptions up to three months (Shanghai, 2022)


class CareProfile(TimeStampedModel):
    resident = models.OneToOneField(
        "people.Resident", on_delete=models.CASCADE, related_name="care_profile"
    )
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    no_smartphone = models.BooleanField(_("no smartphone"), default=False)
    # Weekdays of dialysis sessions, Monday = 0: "0,2,4" is Monday, Wednesday, Friday.
    dialysis_days = models.CharField(_("dialysis days"), max_length=20, blank=True)
    refill_days = models.PositiveSmallIntegerField(_("medicine refill every (days)"), default=0)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("care profile")
        verbose_name_plural = _("care profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(refill_days__lte=MAX_REFILL_DAYS), name="care_refill_at_most_90_days"
            )
        ]

    def __str__(self) -> str:
        return f"care {self.resident_id}"

    @property
    def dialysis_weekdays(self) -> list[int]:
        return [int(d) for d in self.dialysis_days.split(",") if d.strip().isdigit()]
