"""Petitions (信访工作条例, 2022): the petitioner matched by a blind index, the class, the
acknowledgement, an objection, the reply, review (复查) and re-review (复核), termination.

A petition is a GovCase of kind `petition`; the ID number is kept only as a blind index
(for "the same person") and a masked form, never in clear.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel

from .cases import GovCase

MAX_REPRESENTATIVES = 5  # §20: a group visit sends at most five representatives


class PetitionClass(models.TextChoices):
    SUGGESTION = "suggestion", _("Suggestion or opinion (建议意见)")
    ACCUSATION = "accusation", _("Report or accusation (检举控告)")
    CLAIM = "claim", _("Complaint or claim (申诉求决)")


class ReplyOutcome(models.TextChoices):
    SUPPORTED = "supported", _("Supported")
    EXPLAINED = "explained", _("Explained")
    NOT_SUPPORTED = "not_supported", _("Not supported")


class Petition(TimeStampedModel):
    case = models.OneToOneField(GovCase, on_delete=models.CASCADE, related_name="petition")
    petitioner_index = models.CharField(max_length=64, db_index=True)
    petitioner_masked = models.CharField(_("petitioner"), max_length=32)
    subject = models.CharField(_("subject"), max_length=100)
    subject_key = models.CharField(max_length=100, db_index=True)
    petition_class = models.CharField(_("class"), max_length=16, choices=PetitionClass.choices)
    representatives = models.PositiveSmallIntegerField(_("representatives"), default=1)
    acknowledged_on = models.DateField(_("acknowledged on"), null=True, blank=True)
    objected_on = models.DateField(_("objected on"), null=True, blank=True)
    objection = models.TextField(_("objection"), blank=True)
    reply_outcome = models.CharField(
        _("reply"), max_length=16, choices=ReplyOutcome.choices, blank=True
    )
    replied_on = models.DateField(_("replied on"), null=True, blank=True)
    terminated = models.BooleanField(_("terminated"), default=False)

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        constraints = [
            models.CheckConstraint(
                condition=Q(representatives__gte=1, representatives__lte=MAX_REPRESENTATIVES),
                name="petition_at_most_five_representatives",
            )
        ]

    def __str__(self) -> str:
        return f"{self.petitioner_masked} {self.subject}"


class ReviewLevel(models.TextChoices):
    REVIEW = "review", _("Review (复查)")
    RE_REVIEW = "re_review", _("Re-review (复核)")


class PetitionReview(TimeStampedModel):
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="reviews")
    level = models.CharField(_("level"), max_length=16, choices=ReviewLevel.choices)
    applied_on = models.DateField(_("applied on"))
    due_on = models.DateField(_("due on"))
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ReplyOutcome.choices, blank=True
    )

    class Meta:
        ordering = ["applied_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["petition", "level"], name="petition_review_once")
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.level}"
