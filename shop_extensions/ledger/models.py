"""The earnings ledger: what was sold (recorded at sale time), who made it, and append-only entries."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from shop_extensions.core.models import WriteOnceError, WriteOnceModel


class AppendOnlyError(WriteOnceError):
    pass


class SaleOrder(models.Model):
    """A Saleor order as far as the ledger is concerned; the row lock serialises all its events."""

    # installation, initiative: no database foreign keys and no index of installation's own (sale_order_unique
    # leads with it); triggers check them per statement and keep the parents (migration 0006, ADR 0007).
    installation = models.ForeignKey(
        "saleor_app.Installation", on_delete=models.PROTECT, db_constraint=False, db_index=False
    )
    saleor_order_id = models.CharField(max_length=255)
    number = models.CharField(max_length=32, blank=True)
    channel_slug = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    initiative = models.ForeignKey(
        "makers.Initiative", on_delete=models.PROTECT, null=True, blank=True, db_constraint=False
    )
    attributed_at = models.DateTimeField(null=True, blank=True, help_text="when its lines were attributed")
    paid_at = models.DateTimeField(null=True, blank=True)
    snapshot_at = models.DateTimeField(
        null=True, blank=True, help_text="updatedAt of the newest snapshot seen"
    )
    snapshot_key = models.CharField(max_length=300, blank=True)
    snapshot = models.JSONField(default=dict, blank=True, help_text="the newest snapshot's refund state")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["installation", "saleor_order_id"], name="sale_order_unique"),
        ]

    def __str__(self) -> str:
        return f"order {self.number or self.saleor_order_id}"


class LineStatus(models.TextChoices):
    ATTRIBUTED = "attributed"
    PARTLY_UNATTRIBUTED = "partly_unattributed"
    UNATTRIBUTED = "unattributed"
    GIFT = "gift"
    ZERO = "zero"


class SaleLine(models.Model):
    """An order line as it was when it was paid. Never changed by later edits or deleted variants."""

    # No database foreign key: triggers check it per statement, set-based, instead of a row lock per line at
    # commit, and refuse deleting orders (migration 0005, ADR 0007). No index of its own: sale_line_unique
    # leads with it.
    order = models.ForeignKey(
        SaleOrder, on_delete=models.PROTECT, related_name="lines", db_constraint=False, db_index=False
    )
    saleor_line_id = models.CharField(max_length=255)
    saleor_variant_id = models.CharField(max_length=255, blank=True)
    saleor_product_id = models.CharField(max_length=255, blank=True)
    sku = models.CharField(max_length=255, blank=True)
    product_name = models.CharField(max_length=300, blank=True)
    variant_name = models.CharField(max_length=300, blank=True)
    quantity = models.PositiveIntegerField()
    gross_amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="line total incl. VAT")
    base_amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="the attributed base")
    commission_percent = models.DecimalField(max_digits=5, decimal_places=2)
    commission_amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    is_gift = models.BooleanField(default=False)
    status = models.CharField(max_length=24, choices=LineStatus.choices)
    # No database foreign key (checked per statement, migration 0006); indexed where set only (Meta).
    rule = models.ForeignKey(
        "catalog.AttributionRule",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "saleor_line_id"], name="sale_line_unique"),
            models.CheckConstraint(condition=Q(base_amount__gte=0), name="sale_line_base_not_negative"),
            models.CheckConstraint(
                condition=Q(commission_amount__gte=0) & Q(commission_amount__lte=models.F("base_amount")),
                name="sale_line_commission_within_base",
            ),
        ]
        # Most lines have no rule (lots, gifts): the index holds only those that do, which is all that the
        # rule's delete check and Django's PROTECT query (rule_id = / IN ...) look up.
        indexes = [models.Index(fields=["rule"], condition=Q(rule__isnull=False), name="sale_line_rule_idx")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku or self.saleor_variant_id} on {self.order}"

    @property
    def makers_amount(self) -> Any:
        return self.base_amount - self.commission_amount


class Allocation(models.Model):
    """One maker's part of a sale line at sale time (from a lot, or from a share rule). ``maker`` is null for
    the part nobody could be found for: it waits in the coordinator's queue."""

    # No database foreign key: checked per statement by triggers, like SaleLine.order (migration 0005).
    line = models.ForeignKey(
        SaleLine, on_delete=models.PROTECT, related_name="allocations", db_constraint=False
    )
    # maker, lot, rule, resolves: no database foreign keys either; checked per statement, their parents kept
    # while referenced (migration 0006). lot, rule and resolves are indexed where set only (Meta).
    maker = models.ForeignKey(
        "makers.Maker", on_delete=models.PROTECT, null=True, blank=True, db_constraint=False
    )
    lot = models.ForeignKey(
        "catalog.ProductionLot",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    rule = models.ForeignKey(
        "catalog.AttributionRule",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    quantity = models.DecimalField(
        max_digits=12, decimal_places=4, help_text="pieces (fractional for shares)"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="the maker's amount at full sale")
    resolves = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resolved_by",
        db_constraint=False,
        db_index=False,
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="allocation_amount_not_negative")
        ]
        indexes = [
            models.Index(fields=["lot"], condition=Q(lot__isnull=False), name="allocation_lot_idx"),
            models.Index(fields=["rule"], condition=Q(rule__isnull=False), name="allocation_rule_idx"),
            models.Index(
                fields=["resolves"], condition=Q(resolves__isnull=False), name="allocation_resolves_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.maker or 'unattributed'}: {self.amount} of {self.line}"


class EntryKind(models.TextChoices):
    # earnings: what the maker's work brought in
    SALE = "sale"
    REVERSAL = "reversal"
    CORRECTION = "correction"
    # movements of money already earned: paid out to the maker, given back, or spent from the maker's pot
    PAYOUT = "payout"
    PAYOUT_RETURN = "payout_return"
    POT_SPEND = "pot_spend"


EARNING_KINDS = frozenset({EntryKind.SALE, EntryKind.REVERSAL, EntryKind.CORRECTION})
PAYOUT_KINDS = frozenset({EntryKind.PAYOUT, EntryKind.PAYOUT_RETURN})
POT_KINDS = frozenset({EntryKind.POT_SPEND})


class EarningEntry(WriteOnceModel):
    """Append-only: never updated or deleted (ORM guard in WriteOnceModel, a trigger in the database)."""

    write_once_error = AppendOnlyError
    write_once_changed = "ledger entries are never updated; post a correcting entry"
    write_once_deleted = "ledger entries are never deleted; post a reversing entry"

    # No index of its own: (maker, effective_at) and (maker, period) below serve every lookup by maker.
    maker = models.ForeignKey(
        "makers.Maker", on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    initiative = models.ForeignKey("makers.Initiative", on_delete=models.PROTECT)
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    quantity = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    # order, line, allocation: no database foreign keys; checked per statement by triggers (migration 0005,
    # ADR 0007), like SaleLine.order.
    order = models.ForeignKey(SaleOrder, on_delete=models.PROTECT, null=True, blank=True, db_constraint=False)
    line = models.ForeignKey(SaleLine, on_delete=models.PROTECT, null=True, blank=True, db_constraint=False)
    allocation = models.ForeignKey(
        Allocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        db_constraint=False,
    )
    lot = models.ForeignKey("catalog.ProductionLot", on_delete=models.PROTECT, null=True, blank=True)
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True)
    effective_at = models.DateTimeField()
    period = models.DateField(help_text="first day of the month of effective_at (Europe/Amsterdam)")
    # Unique and indexed through Meta, not unique=True/db_index=True: those add a second, pattern-ops
    # (LIKE) index on PostgreSQL that no query uses and every insert pays for.
    idempotency_key = models.CharField(max_length=300)
    reference = models.CharField(
        max_length=100, blank=True, help_text="payout or pot booking this movement belongs to"
    )
    detail = models.JSONField(default=dict, blank=True, help_text="the rule applied, commission, snapshot")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="entry_idempotency_key_unique"),
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
            models.CheckConstraint(
                condition=(Q(kind="sale") & Q(amount__gt=0))
                | (Q(kind="reversal") & Q(amount__lt=0))
                | Q(kind="correction")
                | (Q(kind="payout") & Q(amount__lt=0))
                | (Q(kind="payout_return") & Q(amount__gt=0))
                | (Q(kind="pot_spend") & Q(amount__lt=0)),
                name="entry_kind_sign",
            ),
        ]
        indexes = [
            models.Index(fields=["maker", "effective_at"]),
            models.Index(fields=["maker", "period"]),
            models.Index(fields=["reference"], name="entry_reference_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.currency} {self.amount} for {self.maker_id}"


class MakerPeriodTotal(models.Model):
    """Running sums of a maker's entries per month, kept in the transaction that posts them, so a balance
    reads a few rows instead of years of entries. ``amount`` is the balance movement
    (= earned + paid_out + pot_spent); the parts keep their entries' signs (payouts are negative)."""

    maker = models.ForeignKey("makers.Maker", on_delete=models.PROTECT, related_name="period_totals")
    period = models.DateField()
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    earned = models.DecimalField(max_digits=14, decimal_places=2, default=0, help_text="sales - reversals")
    paid_out = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="payouts (negative) + returned payouts"
    )
    pot_spent = models.DecimalField(max_digits=14, decimal_places=2, default=0, help_text="negative")
    entries = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["maker", "period", "currency"], name="period_total_unique"),
            models.CheckConstraint(
                condition=Q(amount=models.F("earned") + models.F("paid_out") + models.F("pot_spent")),
                name="period_total_parts_sum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.maker_id} {self.period:%Y-%m} {self.currency} {self.amount}"
