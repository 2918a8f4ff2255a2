"""Monthly income statements: immutable issued versions, and the mutable things around them (shares, runs,
deliveries) kept in their own tables so a statement row is never touched after it is issued."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from shop_extensions.core.models import WriteOnceError, WriteOnceModel


class ImmutableError(WriteOnceError):
    pass


class IncomeNature(models.TextChoices):
    NON_EMPLOYEE = "non_employee", "payment for work as a non-employee"
    SALES_SHARE = "sales_share", "share of sales (independent maker)"
    VOLUNTEER = "volunteer", "volunteer allowance"
    WAGE = "wage", "wage (employment)"


class StatementSettings(models.Model):
    """Per initiative: what the payments are, as the initiative states it on every statement."""

    initiative = models.OneToOneField(
        "makers.Initiative", on_delete=models.CASCADE, related_name="statement_settings"
    )
    income_nature = models.CharField(
        max_length=16, choices=IncomeNature.choices, default=IncomeNature.NON_EMPLOYEE
    )
    signatory = models.CharField(
        max_length=200, blank=True, help_text="who declares the statement for the initiative"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.initiative_id}: {self.income_nature}"


class Statement(WriteOnceModel):
    """One issued version of a maker's month. Never updated or deleted (ORM guard in WriteOnceModel, a
    trigger in the database); a correction is version N+1 pointing at version N, with a reason."""

    write_once_error = ImmutableError
    write_once_changed = "an issued statement never changes; issue a new version"
    write_once_deleted = "an issued statement is never deleted"

    maker = models.ForeignKey("makers.Maker", on_delete=models.PROTECT, related_name="statements")
    initiative = models.ForeignKey("makers.Initiative", on_delete=models.PROTECT)
    month = models.DateField(help_text="first day of the calendar month (Europe/Amsterdam)")
    version = models.PositiveIntegerField()
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrected_by"
    )
    reason = models.CharField(max_length=300, blank=True)
    currency = models.CharField(max_length=3)
    language = models.CharField(max_length=2)
    data = models.JSONField(help_text="everything the documents show, as issued")
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the figures and identities")
    code = models.CharField(max_length=16, unique=True, help_text="verification code printed on the PDF")
    pdf_name = models.CharField(max_length=300)
    pdf_sha256 = models.CharField(max_length=64, db_index=True)
    csv_name = models.CharField(max_length=300)
    csv_sha256 = models.CharField(max_length=64)
    excel_csv_name = models.CharField(max_length=300)
    excel_csv_sha256 = models.CharField(max_length=64)
    issued_at = models.DateTimeField()
    issued_by = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["maker", "month", "version"], name="statement_version_unique"),
            models.CheckConstraint(
                condition=(Q(version=1) & Q(previous__isnull=True))
                | (Q(version__gt=1) & Q(previous__isnull=False)),
                name="statement_version_chain",
            ),
        ]
        indexes = [models.Index(fields=["initiative", "month"])]

    def __str__(self) -> str:
        return f"statement {self.maker_id} {self.month:%Y-%m} v{self.version}"


class StatementShare(models.Model):
    """A link the maker hands to someone (a client manager): only the token's hash is kept; revoking or
    expiry ends it. Lives beside the statement because revocation is a change."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="shares")
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"share of {self.statement_id} until {self.expires_at:%Y-%m-%d}"


class RunTrigger(models.TextChoices):
    MONTHLY = "monthly"
    ON_DEMAND = "on_demand"
    REGENERATE = "regenerate"


class StatementRun(models.Model):
    """One pass over an initiative's makers for a month; its items are the progress the coordinator sees."""

    initiative = models.ForeignKey(
        "makers.Initiative", on_delete=models.PROTECT, related_name="statement_runs"
    )
    month = models.DateField()
    trigger = models.CharField(max_length=16, choices=RunTrigger.choices)
    actor = models.CharField(max_length=100)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["initiative", "month"])]

    def __str__(self) -> str:
        return f"run {self.pk} {self.month:%Y-%m} ({self.trigger})"


class ItemStatus(models.TextChoices):
    PENDING = "pending"
    ISSUED = "issued"
    UNCHANGED = "unchanged"
    FAILED = "failed"


class StatementRunItem(models.Model):
    run = models.ForeignKey(StatementRun, on_delete=models.CASCADE, related_name="items")
    maker = models.ForeignKey("makers.Maker", on_delete=models.PROTECT)
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "maker"], name="run_item_once_per_maker")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.maker_id}: {self.status}"


class StatementDelivery(models.Model):
    """The maker was told (once per statement) that it is ready; the message holds no figures."""

    statement = models.OneToOneField(Statement, on_delete=models.PROTECT, related_name="delivery")
    channel = models.CharField(max_length=16)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.statement_id} via {self.channel}"
