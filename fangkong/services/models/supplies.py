"""Supplies: items, stock points and their lots, movements in and out, packages per
household, delivery runs per building with a hand-over proof, building group orders.

Stock is kept per lot (point, item, expiry) with a check constraint: no lot goes below
zero, whatever the code above does.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel


class SupplyItem(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=16)

    class Meta:
        ordering = ["code"]
        verbose_name = _("supply item")
        verbose_name_plural = _("supply items")

    def __str__(self) -> str:
        return self.name


class StockPointKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("District warehouse")
    STATION = "station", _("Community station")


class StockPoint(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=StockPointKind.choices)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)

    class Meta:
        ordering = ["area_code", "code"]
        verbose_name = _("stock point")
        verbose_name_plural = _("stock points")

    def __str__(self) -> str:
        return self.name


class StockLot(models.Model):
    point = models.ForeignKey(StockPoint, on_delete=models.PROTECT, related_name="lots")
    item = models.ForeignKey(SupplyItem, on_delete=models.PROTECT, related_name="+")
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    quantity = models.IntegerField(_("quantity"), default=0)

    class Meta:
        ordering = ["point", "item", "expires_on"]
        verbose_name = _("stock lot")
        verbose_name_plural = _("stock lots")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_never_negative"),
            models.UniqueConstraint(
                fields=["point", "item", "expires_on"],
                name="stock_lot_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.point_id} {self.quantity}"


class MovementKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    DONATION = "donation", _("Donation")
    ISSUE = "issue", _("Issued")
    RETURN = "return", _("Returned")


class StockMovement(models.Model):
    point = models.ForeignKey(StockPoint, on_delete=models.PROTECT, related_name="movements")
    item = models.ForeignKey(SupplyItem, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=MovementKind.choices)
    quantity = models.IntegerField(_("quantity"))  # positive in, negative out
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    donor = models.CharField(_("donor"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    at = models.DateTimeField(_("time"))
    by = models.CharField(_("by"), max_length=150)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="donation") | ~Q(donor=""), name="donation_names_donor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity}"


class SupplyPackage(TimeStampedModel):
    """A fixed package (集采集配) allocated to every household of a zone."""

    name = models.CharField(_("name"), max_length=100)
    zone_id = models.PositiveBigIntegerField(_("zone"))
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    days = models.PositiveSmallIntegerField(_("days covered"))
    kg_per_person_day = models.DecimalField(
        _("kg per person per day"), max_digits=4, decimal_places=2
    )
    created_by = models.CharField(_("by"), max_length=150)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("supply package")
        verbose_name_plural = _("supply packages")

    def __str__(self) -> str:
        return self.name


class HandoverState(models.TextChoices):
    PENDING = "pending", _("Not yet delivered")
    DELIVERED = "delivered", _("Delivered")
    PARTIAL = "partial", _("Partly received")
    RETURNED = "returned", _("Returned")


class ProofKind(models.TextChoices):
    CODE = "code", _("Household code scanned")
    PHOTO = "photo", _("Photo")
    SIGNATURE = "signature", _("Signature")


class DeliveryRun(TimeStampedModel):
    package = models.ForeignKey(SupplyPackage, on_delete=models.CASCADE, related_name="runs")
    building_code = models.CharField(_("building"), max_length=64)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    courier = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["building_code"]
        verbose_name = _("delivery run")
        verbose_name_plural = _("delivery runs")
        constraints = [
            models.UniqueConstraint(fields=["package", "building_code"], name="run_per_building")
        ]

    def __str__(self) -> str:
        return self.building_code


class Allocation(models.Model):
    """One household's share of a package, and how it was handed over."""

    package = models.ForeignKey(SupplyPackage, on_delete=models.CASCADE, related_name="allocations")
    run = models.ForeignKey(DeliveryRun, on_delete=models.CASCADE, related_name="allocations")
    household = models.ForeignKey("geo.Household", on_delete=models.PROTECT, related_name="+")
    persons = models.PositiveSmallIntegerField(_("persons"))
    kg = models.DecimalField(_("kg"), max_digits=7, decimal_places=2)
    received_kg = models.DecimalField(_("kg received"), max_digits=7, decimal_places=2, default=0)
    state = models.CharField(
        _("state"), max_length=16, choices=HandoverState.choices, default=HandoverState.PENDING
    )
    proof_kind = models.CharField(_("proof"), max_length=16, choices=ProofKind.choices, blank=True)
    proof_ref = models.CharField(_("proof reference"), max_length=200, blank=True)
    handed_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    handed_by = models.CharField(_("by"), max_length=150, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["household_id"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.UniqueConstraint(fields=["package", "household"], name="allocation_once"),
            models.CheckConstraint(
                condition=Q(received_kg__lte=models.F("kg")), name="allocation_no_over_receipt"
            ),
            models.CheckConstraint(
                condition=Q(state="pending") | ~Q(proof_kind=""), name="handover_has_proof"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.state}"


class GroupOrder(TimeStampedModel):
    """A building's group order (团购): collects until the cut-off, then goes out as one."""

    building_code = models.CharField(_("building"), max_length=64)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    supplier = models.CharField(_("supplier"), max_length=100)
    cut_off_at = models.DateTimeField(_("cut-off"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    summary = models.JSONField(_("order sent"), default=list, blank=True)

    class Meta:
        ordering = ["-cut_off_at", "-id"]
        verbose_name = _("group order")
        verbose_name_plural = _("group orders")

    def __str__(self) -> str:
        return f"{self.building_code} {self.supplier}"


class GroupOrderLine(models.Model):
    order = models.ForeignKey(GroupOrder, on_delete=models.CASCADE, related_name="lines")
    household = models.ForeignKey("geo.Household", on_delete=models.PROTECT, related_name="+")
    item = models.CharField(_("item"), max_length=100)
    quantity = models.PositiveIntegerField(_("quantity"))
    # Who put the line in: the resident's own phone, or the grid worker for one without.
    entered_by = models.CharField(_("by"), max_length=150)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="group_line_positive")
        ]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"
