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
