"""Governance cases: one workflow for every matter, with its stage clock, owner and history.

A case moves 上报 → 受理/核实 → 立案 | 作废 → 派遣 → 处置 → 反馈 → 核查 → 结案. Whether the matter
was resolved is kept apart from how the case was closed: FixMyStreet's users' main complaint
was a "fixed" status that was not a fix.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.models import TimeStampedModel


class Unit(TimeStampedModel):
    """A body that receives, owns or handles cases: a sub-district office, a bureau, a grid."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)

    class Meta:
        ordering = ["area_code", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted, being verified")
    FILED = "filed", _("Filed")
    VOIDED = "voided", _("Voided")
    DISPATCHED = "dispatched", _("Dispatched")
    HANDLING = "handling", _("Being handled")
    FED_BACK = "fed_back", _("Fed back, awaiting check")
    CHECKED = "checked", _("Checked")
    CLOSED = "closed", pgettext_lazy("case stage", "Closed")


FINISHED_STAGES = (Stage.VOIDED, Stage.CLOSED)
OPEN_STAGES = tuple(s for s in Stage.values if s not in FINISHED_STAGES)


class Source(models.TextChoices):
    GRID_PATROL = "grid_patrol", _("Grid patrol")
    HOTLINE = "hotline", _("Hotline")
    OPEN311 = "open311", _("Open311")
    PETITION_OFFICE = "petition_office", _("Petition office")
    JOINT_MEETING = "joint_meeting", _("Joint meeting")
    RIVER_PATROL = "river_patrol", _("River patrol")


class ClosureType(models.TextChoices):
    NORMAL = "normal", _("Normal")
    OVERDUE = "overdue", _("Overdue")
    WRONG = "wrong", _("Closed in error")
    SPECIAL = "special", _("Special")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    UNREACHABLE = "unreachable", _("Could not be reached")


class GovCase(TimeStampedModel):
    kind = models.CharField(_("kind"), max_length=32, db_index=True)
    catalogue_version = models.CharField(max_length=16)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    area_code = models.CharField(_("area"), max_length=64)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    media_url = models.URLField(_("photo"), max_length=500, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # The reporter's phone, encrypted; kept only for the call-back.
    reporter_phone = models.TextField(blank=True)

    owner_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="owned_cases", verbose_name=_("owner unit")
    )
    handler_unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
        verbose_name=_("handling unit"),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.REPORTED
    )
    received_at = models.DateTimeField(_("received at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    response_due_at = models.DateTimeField(null=True, blank=True)

    # The running clock: its name in the catalogue, its deadline, pause and extension.
    clock = models.CharField(_("clock"), max_length=32, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    extended = models.BooleanField(_("extended"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)

    resolved = models.BooleanField(_("resolved"), null=True, blank=True)
    closure_type = models.CharField(
        _("closure type"), max_length=16, choices=ClosureType.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    called_back_at = models.DateTimeField(_("called back at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["area_code", "received_at"], name="govcase_area_received"),
            # The sweep reads open, running clocks by deadline and nothing else.
            models.Index(
                fields=["due_at"],
                name="govcase_open_due",
                condition=Q(closed_at__isnull=True, paused_at__isnull=True, due_at__isnull=False),
            ),
            models.Index(fields=["owner_unit", "received_at"], name="govcase_owner_received"),
            # Newest first over the whole district (Open311's requests.json, the desk's
            # default order): walked backwards, it stops at the page instead of sorting
            # every case.
            models.Index(fields=["received_at", "id"], name="govcase_received"),
            # The desk's lists by kind within an area, and their counts, read this index
            # alone (no row is visited to test the area or the stage). The pattern operator
            # classes let PostgreSQL seek the area prefix under any collation; SQLite, which
            # seeks a range of codes instead, ignores them.
            models.Index(
                fields=["kind", "area_code", "stage"],
                name="govcase_kind_area_stage",
                opclasses=["varchar_pattern_ops"] * 3,
            ),
            # Open311's requests of one service, newest first: a walk that stops at the page.
            models.Index(fields=["kind", "received_at"], name="govcase_kind_received"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="govcase_stage_valid"),
            models.CheckConstraint(
                condition=Q(closure_type="") | Q(stage=Stage.CLOSED),
                name="govcase_closure_type_only_when_closed",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(stage__in=FINISHED_STAGES),
                name="govcase_closed_at_only_when_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"{self.received_at:%Y}-{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class CaseEvent(models.Model):
    """One step in a case's history: who moved it, from which stage to which, and why."""

    case = models.ForeignKey(GovCase, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), auto_now_add=True)
    action = models.CharField(_("action"), max_length=32)
    from_stage = models.CharField(max_length=16, blank=True)
    to_stage = models.CharField(max_length=16, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(_("by"), max_length=150, blank=True)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"
