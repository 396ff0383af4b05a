"""Door-knocking outcomes (敲门行动): what a grid worker found at a household whose people are
not yet tested in a round. One outcome per household and round; the latest visit wins."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.models import TimeStampedModel
from fangkong.geo.models import Household

from .models import TestingRound


class KnockOutcome(models.TextChoices):
    SAMPLED_HERE = "sampled_here", _("Sampled here")
    SAMPLED_ELSEWHERE = "sampled_elsewhere", _("Sampled elsewhere")
    AWAY = "away", _("Away from the district")
    REFUSED = "refused", pgettext_lazy("door-knocking outcome", "Refused")
    HOME_VISIT = "home_visit", _("Needs a home visit (bedridden)")
    NOBODY_HOME = "nobody_home", _("Nobody home")


# Outcomes that account for a household: the round may then be reported as full coverage.
# A home visit still has to sample someone, and nobody home is to be knocked on again.
EXPLAINING_OUTCOMES = (
    KnockOutcome.SAMPLED_HERE,
    KnockOutcome.SAMPLED_ELSEWHERE,
    KnockOutcome.AWAY,
    KnockOutcome.REFUSED,
)


class DoorKnockOutcome(TimeStampedModel):
    round = models.ForeignKey(
        TestingRound, on_delete=models.CASCADE, related_name="doorknock_outcomes"
    )
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(_("grid"), max_length=64, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=KnockOutcome.choices)
    where = models.CharField(_("sampled where"), max_length=100, blank=True)
    revisit_at = models.DateTimeField(_("revisit at"), null=True, blank=True)
    # The people not yet tested when the outcome was recorded: someone new moving in
    # reopens the household.
    resident_ids = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("door-knocking outcome")
        verbose_name_plural = _("door-knocking outcomes")
        constraints = [
            models.UniqueConstraint(fields=["round", "household"], name="knock_once_per_home"),
            models.CheckConstraint(
                condition=Q(outcome__in=[o.value for o in KnockOutcome]),
                name="knock_outcome_valid",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=KnockOutcome.SAMPLED_ELSEWHERE) | ~Q(where=""),
                name="knock_elsewhere_says_where",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=KnockOutcome.NOBODY_HOME) | Q(revisit_at__isnull=False),
                name="knock_nobody_home_has_revisit",
            ),
        ]

    @property
    def explains(self) -> bool:
        return self.outcome in EXPLAINING_OUTCOMES

    def __str__(self) -> str:
        return f"{self.round_id}:{self.household_id} {self.outcome}"
