"""The command centre: incidents and their timelines, assembled from domain events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import OutboxEvent, TimeStampedModel


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class IncidentKind(models.TextChoices):
    POOL_POSITIVE = "pool_positive", _("Positive pool")
    CASE = "case", _("Case or asymptomatic infection")
    CLUSTER = "cluster", _("Cluster")
    ARRIVAL = "arrival", _("Arrivals from a risk area")
    EXERCISE = "exercise", _("Exercise")
    OTHER = "other", _("Other")


class Incident(TimeStampedModel):
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=32, choices=IncidentKind.choices, default=IncidentKind.POOL_POSITIVE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("opened by"),
    )
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
    # A drill (演练: a replayed night): its documents carry the mark and their own numbers,
    # and everything it wrote can be wiped.
    drill = models.BooleanField(_("drill"), default=False)
    # What a drill wrote outside the command centre, by kind ({"rounds": [ids], …}), so that
    # wiping it removes exactly that.
    drill_records = models.JSONField(_("drill records"), default=dict, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == IncidentStatus.OPEN


class IncidentRoleKind(models.TextChoices):
    """The working groups of a district command centre (指挥部工作专班)."""

    DEPUTY = "deputy", _("Deputy commander")
    TESTING = "testing", _("Testing group lead")
    CONTROL = "control", _("Zone control group lead")
    TRACING = "tracing", _("Investigation group lead")
    SUPPLIES = "supplies", _("Supplies group lead")
    MEDICAL = "medical", _("Medical group lead")
    INFORMATION = "information", _("Information group lead")
    LIAISON = "liaison", _("Liaison")


class IncidentRole(models.Model):
    """Someone holds a role in an incident (the commander is `Incident.commander`)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="incident_roles",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=16, choices=IncidentRoleKind.choices)
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["incident", "role", "id"]
        verbose_name = _("incident role")
        verbose_name_plural = _("incident roles")
        constraints = [
            models.UniqueConstraint(fields=["incident", "role", "user"], name="incident_role_once"),
            models.CheckConstraint(
                condition=models.Q(role__in=IncidentRoleKind.values), name="incident_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.role} {self.user_id}"


class RollCallLevel(models.TextChoices):
    """The three-level grid of the response: who reports in (到位)."""

    COMMUNITY = "community", _("Community")
    SUBDISTRICT = "subdistrict", _("Sub-district office")
    DISTRICT = "district", _("District command centre")


class RollCall(models.Model):
    """A unit reported in place (到岗到位) for an incident, at a time, confirmed by someone;
    or, with a `user`, one person on the duty rota (值班) called at `called_at`, in place at
    `at` once they confirm (a unit's report always has its `at`)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="roll_calls")
    level = models.CharField(_("level"), max_length=16, choices=RollCallLevel.choices)
    area_code = models.CharField(_("area"), max_length=64)
    unit = models.CharField(_("unit"), max_length=200)
    at = models.DateTimeField(_("in place at"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="roll_calls",
        verbose_name=_("called"),
    )
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["incident", "at", "id"]
        verbose_name = _("roll call")
        verbose_name_plural = _("roll calls")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "unit"],
                condition=models.Q(user__isnull=True),
                name="roll_call_once_per_unit",
            ),
            models.UniqueConstraint(fields=["incident", "user"], name="roll_call_once_per_person"),
            models.CheckConstraint(
                condition=models.Q(level__in=RollCallLevel.values), name="roll_call_level_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(at__isnull=False),
                name="roll_call_unit_in_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.at:%H:%M}" if self.at else self.unit


class TimelineEntry(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("kind"), max_length=32)
    text = models.TextField(_("text"))
    event = models.ForeignKey(
        OutboxEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Notes and decisions written by staff carry their author; event entries do not.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    # Words a person typed (a note, a decision, a closing summary), as opposed to what the
    # system recorded of its own work: reports and the replay's system share tell them apart.
    narrative = models.BooleanField(_("typed by a person"), default=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.at:%H:%M} {self.text}"


class IncidentTask(models.Model):
    """A task the incident's staff created by hand, tied to that incident.

    Tasks live in the `work` app below every domain; the link to the incident lives here,
    on the command centre's side, so no lower app depends on incidents.
    """

    task = models.OneToOneField(
        "work.Task", primary_key=True, on_delete=models.CASCADE, related_name="incident_link"
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="task_links", verbose_name=_("incident")
    )

    class Meta:
        verbose_name = _("incident task")
        verbose_name_plural = _("incident tasks")

    def __str__(self) -> str:
        return f"{self.incident_id}:{self.task_id}"


# ---------------------------------------------------------------------------------------------
# Bulletins (通报)


class BulletinKind(models.TextChoices):
    DAILY = "daily", _("Daily bulletin")
    INCIDENT = "incident", _("Incident bulletin")


class Bulletin(TimeStampedModel):
    """A numbered bulletin of the district's command centre, archived as written.

    Numbers run per district and year without gaps: the next number is taken inside the
    writing transaction and the unique constraint turns a concurrent duplicate into a retry.
    """

    district_code = models.CharField(_("district"), max_length=16)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=16, choices=BulletinKind.choices)
    incident = models.ForeignKey(
        Incident,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bulletins",
        verbose_name=_("incident"),
    )
    date = models.DateField(_("date"))
    # 发文字号 as printed (高新防控通报〔2022〕1号), and whether it belongs to a drill's series.
    reference_zh = models.CharField(_("document number"), max_length=100, blank=True)
    drill = models.BooleanField(_("drill"), default=False)
    scope_code = models.CharField(_("area"), max_length=64, db_index=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    text_zh = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"))
    html = models.TextField(_("HTML"))
    # The figures the text was written from, as read from the database at the time.
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("written by"),
    )

    class Meta:
        ordering = ["-year", "-number"]
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        constraints = [
            models.UniqueConstraint(
                fields=["district_code", "year", "drill", "number"],
                name="bulletin_number_once_a_year",
            ),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="bulletin_number_gte_1"),
            models.CheckConstraint(
                condition=models.Q(kind="daily", incident__isnull=True)
                | models.Q(kind="incident", incident__isnull=False),
                name="bulletin_kind_matches_incident",
            ),
        ]

    def __str__(self) -> str:
        return self.title_zh


# ---------------------------------------------------------------------------------------------
# Notifications


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    SMS = "sms", _("SMS")


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(TimeStampedModel):
    """One message to one recipient on one channel, queued and sent with retries.

    A recipient is a user or a resident. A phone number is never stored here in clear: the
    row keeps the phone's blind index (for per-recipient rate limits) and its masked form;
    the SMS sender decrypts the resident's number only at the moment of sending.
    """

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    resident = models.ForeignKey(
        "people.Resident",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("resident"),
    )
    recipient_index = models.CharField(_("recipient key"), max_length=64, blank=True)
    recipient_masked = models.CharField(_("recipient"), max_length=64, blank=True)
    template_key = models.CharField(_("template"), max_length=64)
    language = models.CharField(_("language"), max_length=16, default="zh-hans")
    context = models.JSONField(_("context"), default=dict, blank=True)
    text = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=200, blank=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    area_code = models.CharField(_("area"), max_length=64, blank=True, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=NotificationStatus.choices,
        default=NotificationStatus.QUEUED,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    provider_ref = models.CharField(_("gateway reference"), max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="notification_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=NotificationStatus.values),
                name="notification_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(resident__isnull=False),
                name="notification_has_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["user", "read_at"], name="notification_inbox"),
            models.Index(
                fields=["channel", "recipient_index", "sent_at"], name="notification_rate"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.recipient_masked} {self.template_key}"
