"""Users, their role and their one scope node; device tokens for tablets and lab systems."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel


class Role(models.TextChoices):
    DISTRICT_COMMANDER = "district_commander", _("District commander")
    SUBDISTRICT_STAFF = "subdistrict_staff", _("Sub-district staff")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    GRID_WORKER = "grid_worker", _("Grid worker")
    SAMPLER = "sampler", _("Sampler")
    LAB_TECHNICIAN = "lab_technician", _("Lab technician")
    CHECKPOINT_GUARD = "checkpoint_guard", _("Checkpoint guard")
    VOLUNTEER_COORDINATOR = "volunteer_coordinator", _("Volunteer coordinator")
    AUDITOR = "auditor", _("Auditor")
    REPORTER = "reporter", _("Reporter (Open311 client)")
    CDC = "cdc", _("District CDC")


class User(AbstractUser):
    role = models.CharField(
        _("role"), max_length=32, choices=Role.choices, default=Role.GRID_WORKER
    )
    scope_code = models.CharField(
        _("scope"),
        max_length=64,
        db_index=True,
        help_text=_("Code of the one area node this user works in."),
    )
    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("failed logins"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class DeviceToken(TimeStampedModel):
    """A bearer token for a device (sampler tablet, lab system), bound to a role and scope.

    Only a hash is stored; the token is shown once when it is created.
    """

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    scope_code = models.CharField(_("scope"), max_length=64)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("device token")
        verbose_name_plural = _("device tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    # A token acts like a user for permission checks and audit entries.
    is_authenticated = True

    def get_username(self) -> str:
        return f"device:{self.name}"
