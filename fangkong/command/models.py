"""The command centre: incidents and their timelines, assembled from domain events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import OutboxEvent, TimeStampedModel


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Incident(TimeStampedModel):
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, default="pool_positive")
    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("commander"),
    )
    # The event that opened it: an incident is opened once per event, even on redelivery.
    source_event = models.OneToOneField(
        OutboxEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return self.title


class TimelineEntry(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("kind"), max_length=32)
    text = models.TextField(_("text"))
    event = models.ForeignKey(
        OutboxEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.at:%H:%M} {self.text}"


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Task(TimeStampedModel):
    """A piece of field work for someone: door-knocking in a building, a retest visit, a check-in.

    `key` makes task creation idempotent (e.g. "doorknock:<round>:<building>"): regenerating
    a list never duplicates tasks.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=32, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        verbose_name=_("assignee"),
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=TaskState.choices, default=TaskState.OPEN, db_index=True
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["state", "due_at", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.title
