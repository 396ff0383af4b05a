"""Laboratories, transport boxes, their chain of custody and lab results.

The tables kept the names they had when these models lived in `testing` (`db_table`), so
moving them lost no row. A tube records the box it travels in (`testing.Tube.box`); the box's
own state is kept here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import DeviceToken
from fangkong.core.models import TimeStampedModel
from fangkong.testing.models import Result, TestingRound, Tube


class Lab(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    devices = models.ManyToManyField(
        DeviceToken,
        blank=True,
        related_name="labs",
        verbose_name=_("devices"),
        db_table="testing_lab_devices",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="labs",
        verbose_name=_("staff"),
        db_table="testing_lab_members",
    )

    class Meta:
        db_table = "testing_lab"
        verbose_name = _("laboratory")
        verbose_name_plural = _("laboratories")

    def __str__(self) -> str:
        return self.name


class BoxState(models.TextChoices):
    PACKING = "packing", _("Packing")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received by the lab")


class TransportBox(TimeStampedModel):
    code = models.CharField(_("box code"), max_length=32, unique=True)
    round = models.ForeignKey(TestingRound, on_delete=models.PROTECT, related_name="boxes")
    state = models.CharField(
        _("state"), max_length=16, choices=BoxState.choices, default=BoxState.PACKING
    )
    lab = models.ForeignKey(
        Lab, null=True, blank=True, on_delete=models.PROTECT, related_name="boxes"
    )
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    handed_at = models.DateTimeField(_("handed to courier at"), null=True, blank=True)
    courier = models.CharField(_("courier"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.CharField(_("received by"), max_length=64, blank=True)

    class Meta:
        db_table = "testing_transportbox"
        verbose_name = _("transport box")
        verbose_name_plural = _("transport boxes")

    def __str__(self) -> str:
        return self.code


class CustodyEvent(models.Model):
    """Chain of custody: who had the box, when."""

    class Kind(models.TextChoices):
        PACKED = "packed", _("Packed")
        HANDED = "handed", _("Handed to courier")
        RECEIVED = "received", _("Received by the lab")

    box = models.ForeignKey(TransportBox, on_delete=models.CASCADE, related_name="custody")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("time"))
    by = models.CharField(_("by"), max_length=64)

    class Meta:
        db_table = "testing_custodyevent"
        ordering = ["at", "id"]
        verbose_name = _("custody event")

    def __str__(self) -> str:
        return f"{self.box_id} {self.kind} {self.at:%H:%M}"


class ResultStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    HELD = "held", _("Held for review: conflicts with an earlier result")
    SUPERSEDED = "superseded", _("Superseded after review")


class ResultFlag(models.TextChoices):
    """A result whose Ct lies in the protocol's grey zone, for the district CDC to review."""

    NONE = "", _("None")
    SLIGHTLY_HIGH = "slightly_high", _("Slightly high")  # 指标稍高: negative, late signal
    WEAK_POSITIVE = "weak_positive", _("Weak positive")  # 弱阳性: positive, grey-zone signal


class LabResult(TimeStampedModel):
    tube = models.ForeignKey(Tube, on_delete=models.PROTECT, related_name="results")
    lab = models.ForeignKey(Lab, on_delete=models.PROTECT, related_name="results")
    result = models.CharField(_("result"), max_length=24, choices=Result.choices)
    ct_orf1ab = models.DecimalField(
        _("Ct ORF1ab"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    ct_n = models.DecimalField(_("Ct N"), max_digits=4, decimal_places=1, null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"))
    source = models.CharField(_("source"), max_length=16, default="api")
    status = models.CharField(
        _("status"), max_length=16, choices=ResultStatus.choices, default=ResultStatus.ACCEPTED
    )
    reported_by = models.CharField(_("reported by"), max_length=150, blank=True)
    # Set when the result is recorded, from the Ct thresholds of the protocol then in force.
    flag = models.CharField(
        _("flag"), max_length=16, choices=ResultFlag.choices, blank=True, default=""
    )

    class Meta:
        db_table = "testing_labresult"
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        constraints = [
            models.UniqueConstraint(
                fields=["tube"], condition=Q(status="accepted"), name="one_accepted_result_per_tube"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tube_id} {self.result}"


class ReviewDecision(models.TextChoices):
    """What the district CDC decides on a borderline result (指标稍高 / 弱阳性)."""

    CONFIRM_NEGATIVE = "confirm_negative", _("Keep negative")  # 维持阴性
    RETEST = "retest", _("Single-tube retest of the people")  # 复采复检
    TREAT_POSITIVE = "treat_positive", _("Treat as positive")  # 按阳性处置


class ResultReview(TimeStampedModel):
    """The district CDC's review of one flagged result: once, with its reason.

    The decision's consequences (retest orders, the positive-pool response) go through
    testing's own services; `retest_orders` counts the orders it created.
    """

    result = models.OneToOneField(LabResult, on_delete=models.PROTECT, related_name="review")
    decision = models.CharField(_("decision"), max_length=20, choices=ReviewDecision.choices)
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"))
    retest_orders = models.PositiveIntegerField(_("retest orders created"), default=0)
    # The form's key: a page sent twice (a double click, a retried request) answers with the
    # first review instead of being refused as a second one.
    idempotency_key = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("result review")
        verbose_name_plural = _("result reviews")

    def __str__(self) -> str:
        return f"{self.result_id} {self.decision}"
