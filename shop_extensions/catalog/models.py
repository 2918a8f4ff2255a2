"""Who made what: share rules per Saleor product or variant (effective-dated), and production lots."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class AttributionRule(models.Model):
    """Makers' shares of a product's or variant's sales from ``valid_from`` until ``valid_to``.
    A change is a new rule; the old one is closed, never edited, so past sales keep their rule."""

    initiative = models.ForeignKey("makers.Initiative", on_delete=models.PROTECT, related_name="rules")
    saleor_product_id = models.CharField(max_length=255, blank=True)
    saleor_variant_id = models.CharField(max_length=255, blank=True)
    commission_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="overrides the initiative's default"
    )
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(saleor_product_id="") & ~Q(saleor_variant_id=""))
                | (~Q(saleor_product_id="") & Q(saleor_variant_id="")),
                name="rule_product_xor_variant",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="rule_valid_period",
            ),
            models.CheckConstraint(
                condition=Q(commission_percent__isnull=True)
                | (Q(commission_percent__gte=0) & Q(commission_percent__lte=100)),
                name="rule_commission_0_100",
            ),
            # At most one open rule per product/variant: two coordinators changing shares at once
            # cannot both leave an open rule behind.
            models.UniqueConstraint(
                fields=["initiative", "saleor_product_id", "saleor_variant_id"],
                condition=Q(valid_to__isnull=True),
                name="rule_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["initiative", "saleor_variant_id", "valid_from"]),
            models.Index(fields=["initiative", "saleor_product_id", "valid_from"]),
        ]

    def __str__(self) -> str:
        return f"rule {self.pk} for {self.saleor_variant_id or self.saleor_product_id}"


class AttributionShare(models.Model):
    rule = models.ForeignKey(AttributionRule, on_delete=models.PROTECT, related_name="shares")
    maker = models.ForeignKey("makers.Maker", on_delete=models.PROTECT, related_name="shares")
    percent = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "maker"], name="share_once_per_maker"),
            models.CheckConstraint(
                condition=Q(percent__gt=0) & Q(percent__lte=100), name="share_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.maker}: {self.percent}%"


class LotKind(models.TextChoices):
    DELIVERY = "delivery"
    CORRECTION = "correction"


class StockSync(models.TextChoices):
    PENDING = "pending"
    SYNCED = "synced"
    FAILED = "failed"
    # A retry found Saleor's stock at neither the value we read nor the value we wrote: whether our write
    # landed cannot be told, so nothing is retried until a coordinator checks (lot_stock_sync_resolve).
    UNKNOWN = "unknown"


class ProductionLot(models.Model):
    """A booking of pieces a maker delivered (or a correction of an earlier lot: a new row, never an edit).
    Sales of the variant consume lots first-in-first-out (``LotConsumption``)."""

    initiative = models.ForeignKey("makers.Initiative", on_delete=models.PROTECT, related_name="lots")
    maker = models.ForeignKey("makers.Maker", on_delete=models.PROTECT, related_name="lots")
    saleor_variant_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=LotKind.choices, default=LotKind.DELIVERY)
    quantity = models.IntegerField(help_text="pieces delivered; a correction may be negative")
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    reason = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    booked_at = models.DateTimeField()
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    stock_sync = models.CharField(max_length=16, choices=StockSync.choices, default=StockSync.PENDING)
    stock_synced_at = models.DateTimeField(null=True, blank=True)
    stock_sync_error = models.TextField(blank=True)
    # Saleor's stock mutation sets an absolute quantity; what we read and what we (meant to) write are kept
    # before the write, so a retry after a crash can tell from a re-read whether the write landed.
    stock_before = models.IntegerField(
        null=True, blank=True, help_text="Saleor quantity read before our write"
    )
    stock_written = models.IntegerField(
        null=True, blank=True, help_text="the absolute quantity written: stock_before + quantity"
    )
    stock_sync_attempts = models.PositiveIntegerField(default=0)
    stock_sync_attempted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="delivery") & Q(quantity__gt=0) & Q(corrects__isnull=True))
                | (Q(kind="correction") & ~Q(quantity=0) & Q(corrects__isnull=False)),
                name="lot_kind_quantity",
            ),
        ]
        indexes = [models.Index(fields=["initiative", "saleor_variant_id", "booked_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity}x {self.saleor_variant_id} by {self.maker}"


class LotConsumption(models.Model):
    """Pieces of a lot sold on an order line (negative: pieces that came back and return to the lot)."""

    # No database foreign key: checked per statement by a trigger that locks the lots once per statement, and
    # a lot is kept while consumed (migrations ledger 0006, catalog 0004; ADR 0007).
    lot = models.ForeignKey(
        ProductionLot, on_delete=models.PROTECT, related_name="consumptions", db_constraint=False
    )
    order_line_key = models.CharField(max_length=300, help_text="installation + Saleor order line id")
    quantity = models.IntegerField()
    # Unique through Meta, not unique=True: that adds a pattern-ops (LIKE) index no query needs (a prefix
    # lookup always comes with order_line_key, whose index finds the line's few rows).
    idempotency_key = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="consumption_not_zero"),
            models.UniqueConstraint(fields=["idempotency_key"], name="consumption_idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["order_line_key"])]

    def __str__(self) -> str:
        return f"{self.quantity} of lot {self.lot_id} on {self.order_line_key}"
