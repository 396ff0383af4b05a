"""Mass testing: rounds, sites, stations, tubes, samples, retest orders (boxes, results: `lab`).

Invariants the database can hold are constraints: one tube per barcode, one sample per
idempotency key, a person at most once per tube, one accepted result per tube, tube states
and capacities within their ranges.
"""

from __future__ import annotations

import enum

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import DeviceToken
from fangkong.core.models import TimeStampedModel
from fangkong.geo.models import Place
from fangkong.people.models import Resident


class RoundKind(models.TextChoices):
    MASS = "mass", _("Mass testing round")
    TARGETED = "targeted", _("Targeted round")
    ZONE_SCHEDULE = "zone_schedule", _("Zone schedule round")
    RETEST = "retest", _("Retest round")


class RoundStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Sampling")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")  # called off before any sample was taken


class PoolGroup(models.TextChoices):
    """The groups of the regional testing guide, each with its default pool size."""

    KEY_GROUP = "key_group", _("Isolation sites and key groups")
    SEALED = "sealed", _("Sealed zone")
    CONTROLLED = "controlled", _("Controlled zone")
    GENERAL = "general", _("Precaution zone and elsewhere")


DEFAULT_POOL_SIZES = {
    PoolGroup.KEY_GROUP: 1,
    PoolGroup.SEALED: 1,  # or one tube per household
    PoolGroup.CONTROLLED: 10,
    PoolGroup.GENERAL: 20,
}


class TestingRound(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=RoundKind.choices, default=RoundKind.MASS
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.ACTIVE
    )
    # The areas tested; `area_code` is their deepest common node, for scoping.
    scope_codes = models.JSONField(_("areas"), default=list)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    pool_group = models.CharField(
        _("group"), max_length=16, choices=PoolGroup.choices, default=PoolGroup.GENERAL
    )
    pool_size = models.PositiveSmallIntegerField(_("pool size"), default=20)
    starts_at = models.DateTimeField(_("starts at"))
    due_at = models.DateTimeField(_("complete by"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retest_rounds",
        verbose_name=_("round being retested"),
    )
    # Institutions tested in the round besides the residents of its areas (targeted rounds
    # of schools, companies, building sites): their people are counted as expected.
    rosters = models.ManyToManyField(
        "InstitutionRoster",
        blank=True,
        related_name="rounds",
        verbose_name=_("institution rosters"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("testing round")
        verbose_name_plural = _("testing rounds")
        constraints = [
            models.CheckConstraint(
                condition=Q(pool_size__gte=1, pool_size__lte=20), name="round_pool_size_1_20"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SamplingSite(TimeStampedModel):
    """A place sampling happens in a round (a booth compound, a square, a school yard)."""

    round = models.ForeignKey(TestingRound, on_delete=models.CASCADE, related_name="sites")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="sampling_sites")
    area_code = models.CharField(_("area"), max_length=64, db_index=True)

    class Meta:
        verbose_name = _("sampling site")
        verbose_name_plural = _("sampling sites")
        constraints = [
            models.UniqueConstraint(fields=["round", "place"], name="site_once_per_round")
        ]

    def __str__(self) -> str:
        return str(self.place)


class StationKind(models.TextChoices):
    BOOTH = "booth", _("Sampling booth")
    DOOR_TO_DOOR = "door_to_door", _("Door-to-door team")


class Station(TimeStampedModel):
    site = models.ForeignKey(SamplingSite, on_delete=models.CASCADE, related_name="stations")
    round = models.ForeignKey(TestingRound, on_delete=models.CASCADE, related_name="stations")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=16, choices=StationKind.choices, default=StationKind.BOOTH
    )
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    samplers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="stations", verbose_name=_("samplers")
    )
    devices = models.ManyToManyField(
        DeviceToken, blank=True, related_name="stations", verbose_name=_("devices")
    )

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")

    def __str__(self) -> str:
        return f"{self.site} · {self.name}"


class TubeKind(models.TextChoices):
    PEOPLE = "people", _("People")
    ENVIRONMENT = "environment", _("Environment")


class TubeState(models.TextChoices):
    OPEN = "open", _("Open")
    SEALED = "sealed", _("Sealed")
    BOXED = "boxed", _("Packed in a box")
    RECEIVED = "received", _("Received by the lab")
    RESULTED = "resulted", _("Resulted")


class Result(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    PRESUMPTIVE_POSITIVE = "presumptive_positive", _("Presumptive positive")
    INVALID = "invalid", _("Invalid: re-sample")


class Tube(TimeStampedModel):
    # Every index here is rewritten by each batch's counter update (the row is not updated in
    # place when an indexed column changes), so the tube keeps only the indexes its reads
    # use: no LIKE-pattern copies (a constraint, not unique=True), none the pairs cover.
    barcode = models.CharField(_("barcode"), max_length=32)
    round = models.ForeignKey(
        TestingRound, on_delete=models.PROTECT, related_name="tubes", db_index=False
    )
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.PROTECT, related_name="tubes"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=TubeKind.choices, default=TubeKind.PEOPLE
    )
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=20)
    swab_points = models.PositiveSmallIntegerField(_("swab points"), default=0)
    state = models.CharField(
        _("state"), max_length=16, choices=TubeState.choices, default=TubeState.OPEN
    )
    sample_count = models.PositiveSmallIntegerField(_("samples"), default=0)
    area_code = models.CharField(_("area"), max_length=64, blank=True)
    first_sample_at = models.DateTimeField(_("first sample at"), null=True, blank=True)
    sealed_at = models.DateTimeField(_("sealed at"), null=True, blank=True)
    # The box the tube travels in: boxes and their custody are the lab's (`lab` app); the
    # tube's own state (boxed, received, resulted) is kept here, by testing's services.
    box = models.ForeignKey(
        "lab.TransportBox", null=True, blank=True, on_delete=models.PROTECT, related_name="tubes"
    )
    result = models.CharField(_("result"), max_length=24, choices=Result.choices, blank=True)
    resulted_at = models.DateTimeField(_("resulted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tube")
        verbose_name_plural = _("tubes")
        constraints = [
            models.UniqueConstraint(fields=["barcode"], name="tube_barcode_once"),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=20), name="tube_capacity_1_20"
            ),
            models.CheckConstraint(
                condition=Q(sample_count__lte=models.F("capacity")), name="tube_not_over_capacity"
            ),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in TubeState]), name="tube_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["round", "state"], name="tube_round_state"),
            models.Index(fields=["area_code"], name="tube_area"),
            # The bulletin figures (tubes and people by pool size) from the index alone.
            models.Index(
                fields=["round", "kind", "capacity", "sample_count"], name="tube_round_counts"
            ),
        ]

    def __str__(self) -> str:
        return self.barcode


class SampleFlag(enum.IntFlag):
    NAME_MISMATCH = 1
    NO_DOCUMENT = 2
    VISITOR = 4
    CLOCK_SKEW = 8
    REPEAT_IN_ROUND = 16
    SAMPLING_CODE = 32


class Sample(models.Model):
    """One person's swab registered onto a tube. A sample cannot exist without its person."""

    # Each index costs every sample an index write on the hot path: only those a read uses,
    # no LIKE-pattern copies (constraints, not unique=True or db_index), none that the
    # (round), (resident, round) and (tube, resident) indexes already cover.
    idempotency_key = models.CharField(max_length=128)
    # The database checks every sample's tube and person. Its round and station are copies
    # that registration takes from the locked tube and the authorised station: a database
    # check of them locked the one round row for every sample of every booth (PostgreSQL
    # takes a key-share lock per checked row), and cost a tenth of the database's work per
    # batch. Deleting a round or station with samples is still refused (PROTECT, by Django).
    round = models.ForeignKey(
        TestingRound,
        on_delete=models.PROTECT,
        related_name="samples",
        db_index=False,
        db_constraint=False,
    )
    tube = models.ForeignKey(Tube, on_delete=models.PROTECT, related_name="samples", db_index=False)
    # No index either: nothing reads samples by station, and an index is a write per sample.
    station = models.ForeignKey(
        Station,
        on_delete=models.PROTECT,
        related_name="samples",
        db_index=False,
        db_constraint=False,
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="samples", db_index=False
    )
    area_code = models.CharField(max_length=64)  # the person's grid when sampled
    taken_at = models.DateTimeField(_("taken at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    flags = models.PositiveSmallIntegerField(_("flags"), default=0)
    name_given = models.CharField(_("name given"), max_length=64, blank=True)
    recorded_by = models.CharField(_("recorded by"), max_length=150, blank=True)
    # A keyed hash of what the device sent with this key: the same key sent again for
    # another person or time is refused as reused, not answered as a replay. Empty on
    # samples stored before it was kept.
    request_digest = models.CharField(max_length=16, blank=True, db_default="")

    class Meta:
        verbose_name = _("sample")
        verbose_name_plural = _("samples")
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="sample_key_once"),
            models.UniqueConstraint(
                fields=["tube", "resident"], name="sample_person_once_per_tube"
            ),
        ]
        indexes = [
            # The round alone: a batch's samples then go to the end of one index page. With
            # the grid as second column they went to as many pages as the batch had grids.
            models.Index(fields=["round"], name="sample_round"),
            # Person first: it serves "this person's samples" (a case's history, the
            # protection of a resident's record) as well as "this person in this round",
            # so no separate index on the person (a random page write per sample) is needed.
            models.Index(fields=["resident", "round"], name="sample_resident_round"),
        ]

    def __str__(self) -> str:
        return f"{self.tube_id}:{self.resident_id}"


class RoundMember(models.Model):
    """A person tested in a round: one row per person, from their first sample, kept by
    registration in the sample's transaction. The unique pair is what makes "tested" exact
    when two booths take the same person at the same moment."""

    # One index, person first: each batch asks "are these 20 people already in the round?",
    # and with the stale statistics of a round's first minutes a planner given an index that
    # starts with the round scanned the whole round for it.
    # Written with the batch's samples, from the same round (see Sample.round).
    round = models.ForeignKey(
        TestingRound,
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,
        db_constraint=False,
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    area_code = models.CharField(max_length=64)  # the grid they were first sampled in
    visitor = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("person tested in a round")
        verbose_name_plural = _("people tested in a round")
        constraints = [
            models.UniqueConstraint(fields=["resident", "round"], name="round_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.resident_id}"


class RoundTally(models.Model):
    """People tested per round and grid, counted as they are registered (one row per grid),
    so live coverage and the dashboard read a thousand rows instead of millions of samples.
    `rebuild_round_tallies` recounts them from the samples."""

    round = models.ForeignKey(TestingRound, on_delete=models.CASCADE, related_name="tallies")
    area_code = models.CharField(max_length=64)
    tested = models.PositiveIntegerField(default=0)  # residents, first sample in the round
    visitors = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("round tally")
        verbose_name_plural = _("round tallies")
        constraints = [
            models.UniqueConstraint(fields=["round", "area_code"], name="round_tally_once"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.area_code} {self.tested}+{self.visitors}"


class RetestState(models.TextChoices):
    PENDING = "pending", _("To be re-sampled")
    SAMPLED = "sampled", _("Re-sampled")
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")


class RetestOrder(TimeStampedModel):
    """Re-sample one member of a positive pool by single tube, at home."""

    source_tube = models.ForeignKey(Tube, on_delete=models.PROTECT, related_name="retest_orders")
    retest_round = models.ForeignKey(
        TestingRound, on_delete=models.PROTECT, related_name="retest_orders"
    )
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="retest_orders")
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.SET_NULL, related_name="retest_orders"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=RetestState.choices, default=RetestState.PENDING
    )
    area_code = models.CharField(max_length=64, db_index=True)
    sample = models.ForeignKey(
        Sample, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("retest order")
        verbose_name_plural = _("retest orders")
        constraints = [
            models.UniqueConstraint(
                fields=["source_tube", "resident"], name="retest_once_per_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} ← {self.source_tube_id}"


# Rosters and door-knocking outcomes live in their own modules (the size limit), imported here.
from .models_doorknock import DoorKnockOutcome  # noqa: E402, F401
from .models_rosters import InstitutionRoster, RosterMember  # noqa: E402, F401
