"""Requests (诉求) from residents, with lines whose quantities drive their progress.

A request runs on two clocks from the catalogue: acknowledge, then fulfil. `due_at` is the
one that runs now (null once the request is finished), so the sweep reads a single indexed
column. Progress (committed / in transit / delivered) is derived from the lines by the
services, as Sahana Eden derives its three request statuses; nobody types it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.models import TimeStampedModel

from ..kinds import request_catalogue


class Channel(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker, on the resident's behalf")
    HOTLINE = "hotline", _("Hotline operator")
    RESIDENT = "resident", _("Resident, from their code's page")
    PROACTIVE = "proactive", _("Proactive care")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    CRITICAL = 4, _("Critical")


class RequestState(models.TextChoices):
    OPEN = "open", _("Open, not yet acknowledged")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", pgettext_lazy("request state", "Cancelled")


OPEN_STATES = (RequestState.OPEN, RequestState.ACKNOWLEDGED)


class Progress(models.TextChoices):
    NONE = "none", pgettext_lazy("progress", "None")
    PARTIAL = "partial", _("Partial")
    COMPLETE = "complete", _("Complete")


class ServiceRequest(TimeStampedModel):
    kind = models.CharField(_("kind"), max_length=24, db_index=True)
    catalogue_version = models.CharField(max_length=16)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    # 0 for critical requests, then the kind's rank: the queue reads it, lower first.
    queue_rank = models.PositiveSmallIntegerField(_("queue rank"))
    channel = models.CharField(_("raised through"), max_length=16, choices=Channel.choices)
    area_code = models.CharField(_("area"), max_length=64)
    household = models.ForeignKey(
        "geo.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        "people.Resident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    subject = models.CharField(_("for (masked)"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=1000, blank=True)
    needed_by = models.DateTimeField(_("needed by"), null=True, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised at"))
    state = models.CharField(
        _("state"), max_length=16, choices=RequestState.choices, default=RequestState.OPEN
    )
    commit_status = models.CharField(
        _("committed"), max_length=8, choices=Progress.choices, default=Progress.NONE
    )
    transit_status = models.CharField(
        _("in transit"), max_length=8, choices=Progress.choices, default=Progress.NONE
    )
    fulfil_status = models.CharField(
        _("delivered"), max_length=8, choices=Progress.choices, default=Progress.NONE
    )
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"))
    fulfil_due_at = models.DateTimeField(_("fulfil by"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)

    class Meta:
        ordering = ["queue_rank", "due_at", "id"]
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        indexes = [
            models.Index(fields=["area_code", "raised_at"], name="svcreq_area_raised"),
            # The sweep reads running clocks by deadline and nothing else.
            models.Index(
                fields=["due_at"], name="svcreq_open_due", condition=Q(due_at__isnull=False)
            ),
            models.Index(fields=["area_code", "state", "kind"], name="svcreq_area_state_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=RequestState.values), name="svcreq_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4), name="svcreq_priority_range"
            ),
            models.CheckConstraint(
                condition=Q(due_at__isnull=True) | Q(state__in=OPEN_STATES),
                name="svcreq_clock_only_when_open",
            ),
            models.CheckConstraint(
                condition=Q(acknowledge_due_at__lte=F("fulfil_due_at")),
                name="svcreq_acknowledge_before_fulfil",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"SQ{self.pk:07d}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def kind_name(self) -> str:
        kind = request_catalogue().kind(self.kind)
        return str(kind.name) if kind is not None else self.kind


class RequestLine(models.Model):
    """One thing asked for, with how much of it is committed, on its way and delivered."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="lines")
    item = models.CharField(_("item"), max_length=100)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    committed = models.PositiveIntegerField(_("committed"), default=0)
    in_transit = models.PositiveIntegerField(_("in transit"), default=0)
    delivered = models.PositiveIntegerField(_("delivered"), default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("request line")
        verbose_name_plural = _("request lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="svcline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(committed__lte=F("quantity")), name="svcline_commit_within_quantity"
            ),
            models.CheckConstraint(
                condition=Q(in_transit__lte=F("committed") - F("delivered")),
                name="svcline_shipped_within_committed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"


class RequestEvent(models.Model):
    """One step in a request's history: who did what, when."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=32)
    actor = models.CharField(_("by"), max_length=150, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")

    def __str__(self) -> str:
        return f"{self.request_id} {self.action}"
