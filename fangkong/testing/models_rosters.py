"""Institution rosters (单位/学校名单): the people of a school, company or building site, kept per
institution and counted by the targeted rounds that test them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel
from fangkong.geo.models import Place
from fangkong.people.models import Resident


class InstitutionRoster(TimeStampedModel):
    """The people of an institution (school, company, building site), kept per institution
    and imported from its list; most of them are not residents of the district."""

    place = models.OneToOneField(Place, on_delete=models.PROTECT, related_name="roster")
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("institution roster")
        verbose_name_plural = _("institution rosters")

    def __str__(self) -> str:
        return str(self.place)


class RosterMember(models.Model):
    """A person on an institution's roster: the registry's person (found by document, or
    registered as a visitor of the institution) and their class or department."""

    roster = models.ForeignKey(InstitutionRoster, on_delete=models.CASCADE, related_name="members")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    group = models.CharField(_("class or department"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("roster member")
        verbose_name_plural = _("roster members")
        constraints = [
            models.UniqueConstraint(fields=["roster", "resident"], name="roster_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.roster_id}:{self.resident_id}"
