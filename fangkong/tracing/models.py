"""Tracing: venues with their signed codes, venue-code scans, and control orders.

Scans are personal data at city scale (10⁸ rows for a city's 14 days): the document is stored
encrypted with a blind index, never in clear, and rows are purged after the retention period.
On PostgreSQL the scans table is partitioned by day (see the migration), so a purge drops whole
partitions instead of deleting rows one by one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.documents import DocumentType
from fangkong.core.models import TimeStampedModel


class VenueKind(models.TextChoices):
    # The same kinds the protocol's `tracing.venue_windows.by_kind` may name.
    SUPERMARKET = "supermarket", _("Supermarket")
    RESTAURANT = "restaurant", _("Restaurant")
    PHARMACY = "pharmacy", _("Pharmacy")
    MARKET = "market", _("Market")
    OFFICE = "office", _("Office")
    METRO_STATION = "metro_station", _("Metro station")
    BUS_STATION = "bus_station", _("Bus station")
    HOSPITAL = "hospital", _("Hospital")
    SCHOOL = "school", _("School")
    HOTEL = "hotel", _("Hotel")
    GYM = "gym", _("Gym")
    ENTERTAINMENT = "entertainment", _("Entertainment venue")
    OTHER = "other", _("Other")


class Venue(TimeStampedModel):
    """A place people scan into (场所码). `code` is the venue-code platform's identifier."""

    code = models.CharField(_("venue code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=VenueKind.choices)
    area_code = models.CharField(_("area code"), max_length=64, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        ordering = ["area_code", "name", "id"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=VenueKind.values), name="venue_kind_known"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class VenueScan(models.Model):
    """One entry into a venue: who and when (a venue code records no exit).

    `source_id` is the platform's id of the scan: importing it again is a duplicate. Times are
    kept to the second, as the platforms record them, so windows compare exactly.
    """

    # No index of its own: (venue, scanned_at) below leads with it. No constraint in the
    # database either: its check, one probe of the venues per row, cost a quarter of a file
    # import's write at a million scans. Writers take the id from the venue they just found or
    # created, venues are never removed with scans (PROTECT), and the scans go after 14 days.
    venue = models.ForeignKey(
        Venue,
        on_delete=models.PROTECT,
        related_name="scans",
        db_index=False,
        db_constraint=False,
    )
    scanned_at = models.DateTimeField(_("entered at"))
    source_id = models.CharField(_("source id"), max_length=64)
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices
    )
    document_cipher = models.TextField(_("document (encrypted)"))
    document_index = models.CharField(_("document blind index"), max_length=40)
    document_masked = models.CharField(_("document"), max_length=32)

    class Meta:
        ordering = ["scanned_at", "id"]
        verbose_name = _("venue scan")
        verbose_name_plural = _("venue scans")
        constraints = [
            # The day partitions of PostgreSQL need the partition key in every unique index.
            # SQLite's duplicate check probes it; PostgreSQL claims ids in tracing_scansource
            # instead, and drops this index from its partitions (migration 0018).
            models.UniqueConstraint(fields=["source_id", "scanned_at"], name="scan_unique_source")
        ]
        indexes = [
            # Who else was there: the probe of every case visit (venue, time window).
            models.Index(fields=["venue", "scanned_at"], name="scan_venue_time"),
            # A person's own visits, under any spelling of their document.
            models.Index(fields=["document_index", "scanned_at"], name="scan_person_time"),
            # No index of the time alone: the purge finds old scans through (venue, time), one
            # probe a venue, and PostgreSQL also by the day partitions and a BRIN summary
            # (migration 0018). A B-tree of the time cost a quarter of a file import's write.
        ]

    def __str__(self) -> str:
        return f"{self.document_masked} @ {self.venue_id} {self.scanned_at:%Y-%m-%d %H:%M}"


class ContactTier(models.TextChoices):
    CLOSE = "close", _("Close contact")
    SECONDARY = "secondary", _("Secondary contact")
    EXPOSED = "exposed", _("Person exposed at a venue")


class Decision(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class ExposureDecision(TimeStampedModel):
    """An investigator's judgement (研判) of one candidate: accepted as a tier, or rejected
    with a reason. The candidate's document is copied from the scan, which is purged later."""

    subject_index = models.CharField(_("person's blind index"), max_length=40)
    subject_masked = models.CharField(_("person"), max_length=32)
    source_id = models.CharField(_("source id"), max_length=64)
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="decisions")
    area_code = models.CharField(_("area code"), max_length=64, db_index=True)
    scanned_at = models.DateTimeField(_("entered at"))
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices
    )
    document_cipher = models.TextField(_("document (encrypted)"))
    document_index = models.CharField(_("document blind index"), max_length=40, db_index=True)
    document_masked = models.CharField(_("document"), max_length=32)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    tier = models.CharField(_("tier"), max_length=10, choices=ContactTier.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "id"]
        verbose_name = _("exposure decision")
        verbose_name_plural = _("exposure decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_index", "source_id"], name="exposure_decision_once"
            ),
            models.CheckConstraint(
                condition=(models.Q(decision="accepted") & ~models.Q(tier=""))
                | (models.Q(decision="rejected") & models.Q(tier="") & ~models.Q(reason="")),
                name="exposure_decision_tier_or_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_masked} ← {self.document_masked} {self.decision}"


class OrderKind(models.TextChoices):
    # The kinds a protocol preset's orders name.
    CENTRALISED_QUARANTINE = "centralised_quarantine", _("Centralised quarantine")
    HOME_QUARANTINE = "home_quarantine", _("Home quarantine")
    HOME_HEALTH_MONITORING = "home_health_monitoring", _("Home health monitoring")


class OrderState(models.TextChoices):
    ACTIVE = "active", _("In force")
    RELEASED = "released", _("Released")
    CONVERTED = "converted", _("Converted to a case")
    CANCELLED = "cancelled", _("Cancelled")


class QuarantineSite(TimeStampedModel):
    """A centralised quarantine site (a hotel): its rooms are its capacity."""

    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=200, blank=True)
    area_code = models.CharField(_("area code"), max_length=64, db_index=True)
    capacity = models.PositiveIntegerField(_("rooms"))

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("quarantine site")
        verbose_name_plural = _("quarantine sites")
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="site_has_rooms")
        ]

    def __str__(self) -> str:
        return self.name


class ControlOrder(TimeStampedModel):
    """One control order for one person, dated from the protocol in force for their tier.

    The orders of a plan are chained: the next starts where the previous ends (`previous`).
    """

    number = models.PositiveIntegerField(_("notice number"))
    year = models.PositiveSmallIntegerField(_("year"))
    # A drill's orders carry 演练 and a numbering of their own: a replay never takes an
    # official 告知书 number.
    drill = models.BooleanField(_("drill"), default=False)
    kind = models.CharField(_("kind"), max_length=32, choices=OrderKind.choices)
    # Blank for a local measure that is not a protocol's tier (e.g. a borderline result's
    # household isolated for 7 days, 13 June 2022); `reason` then says why.
    tier = models.CharField(_("tier"), max_length=10, choices=ContactTier.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=OrderState.choices, default=OrderState.ACTIVE
    )
    protocol = models.CharField(_("protocol"), max_length=80)
    protocol_version = models.PositiveIntegerField(_("protocol version"))
    last_exposure = models.DateField(_("last exposure"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    test_dates = models.JSONField(_("test dates"), default=list)
    # The testing rounds that sample the person on each test date ({"2022-06-14": 17, …}),
    # for a person in the registry; their results decide the release.
    test_rounds = models.JSONField(_("test rounds"), default=dict, blank=True)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="following"
    )
    decision = models.ForeignKey(
        ExposureDecision, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    contact = models.ForeignKey(
        "Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    area_code = models.CharField(_("area code"), max_length=64, db_index=True)
    person_name = models.CharField(_("name"), max_length=64, blank=True)
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices
    )
    document_cipher = models.TextField(_("document (encrypted)"))
    document_index = models.CharField(_("document blind index"), max_length=40, db_index=True)
    document_masked = models.CharField(_("document"), max_length=32)
    site = models.ForeignKey(
        QuarantineSite, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-start", "id"]
        verbose_name = _("control order")
        verbose_name_plural = _("control orders")
        constraints = [
            models.UniqueConstraint(
                fields=["drill", "year", "number"], name="order_number_once_per_series"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="order_ends_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="centralised_quarantine") | models.Q(site__isnull=True),
                name="order_site_only_centralised",
            ),
        ]
        indexes = [models.Index(fields=["site", "state"], name="order_site_state")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.document_masked} {self.start}–{self.end}"


class Transfer(TimeStampedModel):
    """The closed-loop transfer (点对点转运) of a person to their quarantine site or home."""

    order = models.ForeignKey(ControlOrder, on_delete=models.CASCADE, related_name="transfers")
    vehicle = models.CharField(_("vehicle"), max_length=100)
    departs_at = models.DateTimeField(_("departs at"))
    arrives_at = models.DateTimeField(_("arrives at"), null=True, blank=True)
    destination = models.CharField(_("destination"), max_length=200)

    class Meta:
        ordering = ["departs_at", "id"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(arrives_at__isnull=True)
                | models.Q(arrives_at__gte=models.F("departs_at")),
                name="transfer_arrives_after_leaving",
            )
        ]

    def __str__(self) -> str:
        return f"{self.vehicle} {self.departs_at:%m-%d %H:%M}"


# Cases, follow-up and pushed lists live in their own modules; imported here so Django finds
# their models.
from .models_cases import Case, Contact, ItineraryStop  # noqa: E402, F401
from .models_followup import FollowUpReport  # noqa: E402, F401
from .models_pushed import PushedList, PushedRow  # noqa: E402, F401
