from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    UNMASK = "unmask", _("Unmask personal data")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")
    PERMISSION_DENIED = "permission_denied", _("Permission denied")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGIN_LOCKED = "login_locked", _("Account locked")
    TOKEN_CREATED = "token_created", _("Device token created")
    TOKEN_REVOKED = "token_revoked", _("Device token revoked")
    RESULT_REVIEWED = "result_reviewed", _("Borderline result reviewed")


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("the audit log is append-only")

    def delete(self):
        raise TypeError("the audit log is append-only")


class AuditEntry(models.Model):
    """One audited act: who (and in which role and scope) did what to which record, and why.

    Append-only: the model refuses updates and deletes, and on PostgreSQL a trigger does too.
    """

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("user"),
    )
    username = models.CharField(_("user name"), max_length=150)
    role = models.CharField(_("role"), max_length=32, blank=True)
    scope_code = models.CharField(_("scope"), max_length=64, blank=True)
    action = models.CharField(
        _("action"), max_length=32, choices=AuditAction.choices, db_index=True
    )
    object_type = models.CharField(_("record type"), max_length=64, blank=True)
    object_id = models.CharField(_("record"), max_length=64, blank=True)
    area_code = models.CharField(_("area"), max_length=64, blank=True, db_index=True)
    reason = models.TextField(_("reason"), blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the audit log is append-only")


class IdempotencyKey(models.Model):
    """The first answer given to a retried write, keyed by the client's idempotency key."""

    key = models.CharField(max_length=128)
    scope = models.CharField(max_length=64, help_text="the endpoint or command the key belongs to")
    fingerprint = models.CharField(max_length=64, help_text="hash of the request body")
    status_code = models.PositiveSmallIntegerField(default=200)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class OutboxEvent(models.Model):
    """A domain event, written in the same transaction as the change that caused it.

    Handlers run after commit; a handler that fails leaves its delivery missing, and the
    worker (`fangkong outbox`) retries it. Nothing is lost when a handler breaks.
    """

    kind = models.CharField(max_length=64, db_index=True)
    area_code = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("domain event")
        verbose_name_plural = _("domain events")

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}"


class OutboxDelivery(models.Model):
    """One handler has applied one event: the row is written in the handler's transaction,
    so a retried event never runs a handler twice."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=200)
    delivered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="outbox_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.event_id}→{self.handler}"
