"""Medical trips in a closed loop: hospital, escort, vehicle, times, pass, 120 hand-over.

Each sub-district is paired with a designated hospital (Shanghai, March 2022); a trip goes
there unless the request names another. A trip out of a zone carries the checkpoint pass
the zones app issued for exactly its window.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.models import TimeStampedModel

from .requests import ServiceRequest


class DesignatedHospital(TimeStampedModel):
    area_code = models.CharField(_("sub-district"), max_length=64, unique=True)
    name = models.CharField(_("hospital"), max_length=100)
    hotline = models.CharField(_("hotline"), max_length=32, blank=True)

    class Meta:
        ordering = ["area_code"]
        verbose_name = _("designated hospital")
        verbose_name_plural = _("designated hospitals")

    def __str__(self) -> str:
        return self.name


class TripState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    OUT = "out", _("On the way")
    AT_HOSPITAL = "at_hospital", _("At the hospital")
    BACK = "back", _("Back home, closed")
    HANDED_OVER = "handed_over", _("Handed over to 120")
    CANCELLED = "cancelled", pgettext_lazy("trip state", "Cancelled")


FINISHED_TRIP_STATES = (TripState.BACK, TripState.HANDED_OVER, TripState.CANCELLED)


class MedicalTrip(TimeStampedModel):
    request = models.OneToOneField(
        ServiceRequest, on_delete=models.PROTECT, related_name="trip", verbose_name=_("request")
    )
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    hospital = models.CharField(_("hospital"), max_length=100)
    escort = models.CharField(_("escort"), max_length=64)
    vehicle_plate = models.CharField(_("vehicle plate"), max_length=16, blank=True)
    leaves_at = models.DateTimeField(_("leaves at"))
    returns_by = models.DateTimeField(_("back by"))
    out_at = models.DateTimeField(_("left at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    back_at = models.DateTimeField(_("back at"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over to 120 at"), null=True, blank=True)
    ambulance_ref = models.CharField(_("120 call reference"), max_length=32, blank=True)
    # The zones app's pass for the trip's window: its number, kept as a reference.
    pass_id = models.PositiveBigIntegerField(_("pass"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=TripState.choices, default=TripState.PLANNED
    )
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["leaves_at", "id"]
        verbose_name = _("medical trip")
        verbose_name_plural = _("medical trips")
        constraints = [
            models.CheckConstraint(
                condition=Q(returns_by__gt=F("leaves_at")), name="trip_window_not_empty"
            ),
            models.CheckConstraint(condition=~Q(escort=""), name="trip_has_escort"),
            models.CheckConstraint(
                condition=Q(handed_over_at__isnull=True) | ~Q(ambulance_ref=""),
                name="trip_handover_has_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"trip {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state not in FINISHED_TRIP_STATES
