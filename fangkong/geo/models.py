"""The area tree: district → sub-district → community → grid → building → household.

Every node has a stable hierarchical `code` (see core.areas); rows below a grid also keep
`area_code`, the code of their grid, so scoping is an indexed prefix match.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel


class AreaNode(TimeStampedModel):
    code = models.CharField(_("code"), max_length=64, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    geometry = models.JSONField(_("geometry (GeoJSON)"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    @property
    def name(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh

    def __str__(self) -> str:
        return self.name


class District(AreaNode):
    class Meta(AreaNode.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")


class Subdistrict(AreaNode):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="subdistricts")

    class Meta(AreaNode.Meta):
        verbose_name = _("sub-district office")
        verbose_name_plural = _("sub-district offices")


class CommunityKind(models.TextChoices):
    COMMUNITY = "community", _("Community")
    VILLAGE = "village", _("Village")


class Community(AreaNode):
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.PROTECT, related_name="communities"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=CommunityKind.choices, default="community"
    )

    class Meta(AreaNode.Meta):
        verbose_name = _("community")
        verbose_name_plural = _("communities")


class Grid(AreaNode):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="grids")

    class Meta(AreaNode.Meta):
        verbose_name = _("grid")
        verbose_name_plural = _("grids")


class Compound(AreaNode):
    """A residential compound (小区/院): groups buildings, may span grids of one community."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="compounds")

    class Meta(AreaNode.Meta):
        verbose_name = _("residential compound")
        verbose_name_plural = _("residential compounds")


class Building(AreaNode):
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="buildings")
    compound = models.ForeignKey(
        Compound, null=True, blank=True, on_delete=models.SET_NULL, related_name="buildings"
    )
    area_code = models.CharField(_("grid code"), max_length=64, db_index=True)
    floors = models.PositiveSmallIntegerField(_("floors"), default=6)
    entrances = models.PositiveSmallIntegerField(_("entrances"), default=2)

    class Meta(AreaNode.Meta):
        verbose_name = _("building")
        verbose_name_plural = _("buildings")


class Household(TimeStampedModel):
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="households")
    code = models.CharField(_("code"), max_length=64, unique=True)
    entrance = models.CharField(_("entrance"), max_length=8, blank=True)
    room = models.CharField(_("room"), max_length=16)
    area_code = models.CharField(_("grid code"), max_length=64, db_index=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "entrance", "room"], name="household_address"
            )
        ]

    @property
    def label(self) -> str:
        """The address as staff say it: building, entrance, room."""
        parts = [self.building.name_zh]
        if self.entrance:
            parts.append(f"{self.entrance}单元")
        parts.append(self.room)
        return " ".join(parts)

    def __str__(self) -> str:
        # Pages title a household by its address; its code means nothing to a reader.
        return self.label


class PlaceKind(models.TextChoices):
    SAMPLING_SITE = "sampling_site", _("Sampling site")
    CHECKPOINT = "checkpoint", _("Checkpoint")
    VENUE = "venue", _("Venue")
    HOTEL = "hotel", _("Hotel")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    COMPANY = "company", _("Company")
    WAREHOUSE = "warehouse", _("Warehouse")
    OTHER = "other", _("Other")


class Place(AreaNode):
    """A place that is not a home: booth, checkpoint, venue, hotel, school, …"""

    kind = models.CharField(_("kind"), max_length=16, choices=PlaceKind.choices)
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="places")
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="places"
    )
    area_code = models.CharField(_("area code"), max_length=64, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta(AreaNode.Meta):
        verbose_name = _("place")
        verbose_name_plural = _("places")


LEVEL_MODELS = {
    "district": District,
    "subdistrict": Subdistrict,
    "community": Community,
    "grid": Grid,
    "building": Building,
}
