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


class CareTemplate(TimeStampedModel):
    """Recurring proactive care for one person in a zone, kept so the plan is extended day by
    day while the zone stands (not planned once at designation and then forgotten).

    `weekdays` (Monday 0) makes it weekly (daily welfare checks: every day; dialysis: the
    session days); `every_days` makes it a cycle from `start` (a medicine refill up to a 90-day
    supply). Tasks are planned up to `planned_until`.
    """

    zone_id = models.PositiveIntegerField(_("zone"), db_index=True)
    resident = models.ForeignKey(
        "people.Resident", on_delete=models.CASCADE, related_name="care_templates"
    )
    area_code = models.CharField(_("area"), max_length=64)
    kind = models.CharField(_("kind"), max_length=24)
    weekdays = models.CharField(_("weekdays"), max_length=20, blank=True)
    every_days = models.PositiveSmallIntegerField(_("every (days)"), default=0)
    start = models.DateField(_("from"))
    planned_until = models.DateField(_("planned until"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("care template")
        verbose_name_plural = _("care templates")
        constraints = [
            models.UniqueConstraint(
                fields=["zone_id", "resident", "kind"], name="care_template_once"
            ),
            models.CheckConstraint(
                condition=Q(every_days__lte=MAX_REFILL_DAYS), name="care_template_at_most_90_days"
            ),
            # Either weekly or a cycle, never neither.
            models.CheckConstraint(
                condition=~Q(weekdays="") | Q(every_days__gt=0), name="care_template_recurs"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.resident_id}"

    @property
    def weekday_list(self) -> list[int]:
        return [int(d) for d in self.weekdays.split(",") if d.strip().isdigit()]
