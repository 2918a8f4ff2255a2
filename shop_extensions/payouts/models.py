"""Paying makers through Stripe Connect: connected accounts, policies, runs, payouts and Stripe's events."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AccountStatus(models.TextChoices):
    NEW = "new", _("Not started: the maker has not filled in their details yet")
    DETAILS_NEEDED = "details_needed", _("Stripe still needs details from the maker")
    IN_REVIEW = "in_review", _("Stripe is checking the maker's details")
    READY = "ready", _("Ready: money can be sent to this maker")
    BLOCKED = "blocked", _("Blocked by Stripe: payments cannot be sent")


class ConnectedAccount(models.Model):
    """The maker's Stripe account that only receives money (Accounts v1 with controller properties and the
    transfers capability; see docs/adr/0006). Its status is synced from Stripe's ``account.updated``."""

    maker = models.OneToOneField("makers.Maker", on_delete=models.PROTECT, related_name="stripe_account")
    stripe_account_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=AccountStatus.choices, default=AccountStatus.NEW)
    transfers_active = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    currently_due = models.JSONField(default=list, blank=True, help_text="requirements Stripe still needs")
    disabled_reason = models.CharField(max_length=255, blank=True)
    stripe_updated_at = models.IntegerField(
        default=0, help_text="Stripe time of the newest state applied; older events are ignored"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.stripe_account_id} ({self.status})"


class PolicyMode(models.TextChoices):
    ALERT_ONLY = "alert_only", _("Pay everything; warn about benefit limits")
    CAP = "cap", _("Pay at most the free amount left this month; the rest waits")
    POT = "pot", _("Keep earnings in a pot for training or materials; never paid out")


class PayoutPolicy(models.Model):
    initiative = models.OneToOneField(
        "makers.Initiative", on_delete=models.CASCADE, related_name="payout_policy"
    )
    mode = models.CharField(max_length=16, choices=PolicyMode.choices, default=PolicyMode.ALERT_ONLY)
    hold_days = models.PositiveSmallIntegerField(default=14, help_text="earnings wait this long for refunds")
    minimum_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("10.00"))
    run_day = models.PositiveSmallIntegerField(default=1, help_text="day of the month of the monthly run")
    auto_approve = models.BooleanField(default=False)
    requests_per_second = models.PositiveSmallIntegerField(default=20)
    reverse_transfers_on_refund = models.BooleanField(
        default=False, help_text="after a refund, take the money back from the maker's Stripe balance"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(run_day__gte=1) & Q(run_day__lte=28), name="policy_run_day"),
            models.CheckConstraint(condition=Q(minimum_amount__gte=0), name="policy_minimum_not_negative"),
            models.CheckConstraint(condition=Q(requests_per_second__gte=1), name="policy_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}: {self.mode}"


class RunKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly run")
    ON_DEMAND = "on_demand", _("Run started by a coordinator")


class PayoutRun(models.Model):
    initiative = models.ForeignKey("makers.Initiative", on_delete=models.PROTECT, related_name="payout_runs")
    kind = models.CharField(max_length=16, choices=RunKind.choices)
    # One monthly run per initiative and month (on-demand runs leave it empty).
    month = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    hold_cutoff = models.DateTimeField(help_text="earnings effective before this moment were payable")
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "month"], condition=Q(kind="monthly"), name="run_one_monthly"
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.kind}, initiative {self.initiative_id})"


class PayoutState(models.TextChoices):
    DRAFT = "draft", _("Waiting for the coordinator's approval")
    APPROVED = "approved", _("Approved, about to be sent")
    SUBMITTING = "submitting", _("Being sent to Stripe")
    SUBMITTED = "submitted", _("Sent: on its way to the maker's bank account")
    OUTCOME_UNKNOWN = "outcome_unknown", _("Being checked: we are confirming with Stripe, nothing is lost")
    PAID = "paid", _("Paid into the maker's bank account")
    FAILED = "failed", _("Not sent: the money is back on the maker's balance")
    REVERSED = "reversed", _("Taken back: the money is back on the maker's balance")
    CANCELLED = "cancelled", _("Cancelled: the money stays on the maker's balance")


# A maker has at most one payout in these states (partial unique index): runs never pay twice.
OPEN_STATES = (
    PayoutState.DRAFT,
    PayoutState.APPROVED,
    PayoutState.SUBMITTING,
    PayoutState.OUTCOME_UNKNOWN,
)


class Payout(models.Model):
    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    maker = models.ForeignKey("makers.Maker", on_delete=models.PROTECT, related_name="payouts")
    initiative = models.ForeignKey("makers.Initiative", on_delete=models.PROTECT)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    payable = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="the payable balance when the run was made"
    )
    note = models.CharField(max_length=300, blank=True, help_text="why the amount is less than payable")
    state = models.CharField(max_length=16, choices=PayoutState.choices, default=PayoutState.DRAFT)
    attempt = models.PositiveSmallIntegerField(default=0)
    # Stored (and committed) before Stripe is called; the same key is retried within Stripe's 24 h.
    idempotency_key = models.CharField(max_length=100, blank=True)
    key_created_at = models.DateTimeField(null=True, blank=True)
    destination = models.CharField(max_length=255, blank=True)
    transfer_id = models.CharField(max_length=255, blank=True, db_index=True)
    reversed_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    failure_reason = models.CharField(max_length=300, blank=True)
    bank_problem = models.CharField(max_length=300, blank=True, help_text="the maker's bank refused a payout")
    next_check_at = models.DateTimeField(null=True, blank=True, help_text="when recovery looks again")
    checks = models.PositiveIntegerField(default=0)
    approved_by = models.CharField(max_length=200, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            models.UniqueConstraint(
                fields=["maker"], condition=Q(state__in=OPEN_STATES), name="payout_one_open_per_maker"
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"], condition=~Q(idempotency_key=""), name="payout_key_unique"
            ),
        ]
        indexes = [models.Index(fields=["run", "state"]), models.Index(fields=["state", "next_check_at"])]

    def __str__(self) -> str:
        return f"payout {self.pk}: {self.currency} {self.amount} to maker {self.maker_id} ({self.state})"

    @property
    def transfer_group(self) -> str:
        return f"payout-{self.pk}"


class EventStatus(models.TextChoices):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


class StripeEvent(models.Model):
    """Stripe's webhook inbox: unique on the event id, so a redelivery is stored and processed once."""

    event_id = models.CharField(max_length=255, unique=True)
    endpoint = models.CharField(max_length=16, help_text="platform or connect")
    type = models.CharField(max_length=100)
    account = models.CharField(max_length=255, blank=True, help_text="connected account (Connect events)")
    created = models.IntegerField(help_text="Stripe's event time (unix)")
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=EventStatus.choices, default=EventStatus.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type} ({self.status})"
