"""Benefit situations, benefit-income rules as effective-dated data, and threshold positions.

Amounts live in rows (loaded from ``benefits/data``), never in code. A rule whose amount is not published or
not confirmed has ``verified=False``; an unknown amount stays NULL (``cap_kind=unknown``)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class Regime(models.TextChoices):
    NONE = "none", "no benefit"
    BIJSTAND = "bijstand", "bijstand (Participatiewet)"
    WW = "ww", "WW"
    WIA_WGA = "wia_wga", "WIA / WGA"
    WAJONG = "wajong", "Wajong"
    OTHER = "other", "other / unknown"


class HouseholdType(models.TextChoices):
    UNKNOWN = "", "unknown"
    SINGLE = "single", "single or single parent, 21 to AOW age"
    COUPLE = "couple", "couple, both 21 to AOW age"
    SINGLE_18_20 = "single_18_20", "single, 18 to 20"


class IncomeBasis(models.TextChoices):
    PAYOUT_DATE = "payout_date", "payout date"
    SALE_DATE = "sale_date", "sale date"


class BenefitSituation(models.Model):
    """Only what a rule needs. ``medically_limited`` is health data: read through
    ``selectors.situation_get_for_coordinator`` (audited) and changed through ``services.situation_set``
    (audited)."""

    maker = models.OneToOneField("makers.Maker", on_delete=models.CASCADE, related_name="benefit_situation")
    regime = models.CharField(max_length=16, choices=Regime.choices, default=Regime.NONE)
    municipality = models.CharField(max_length=100, blank=True, help_text="lower-case municipality name")
    date_of_birth = models.DateField(null=True, blank=True)
    under_27 = models.BooleanField(default=False, help_text="used only when the date of birth is not kept")
    household_type = models.CharField(
        max_length=16, choices=HouseholdType.choices, default=HouseholdType.UNKNOWN, blank=True
    )
    single_parent_child_under_12 = models.BooleanField(default=False, help_text="municipality decided")
    medically_limited = models.BooleanField(default=False, help_text="health data; municipality decided")
    loonkostensubsidie = models.BooleanField(default=False, help_text="municipality decided")
    hours_cannot_expand = models.BooleanField(
        default=False,
        help_text="municipality decided: more hours are not possible (art 31 lid 2 aa, art 34a lid 2)",
    )
    pension_age_reached = models.BooleanField(
        default=False, help_text="AOW age reached (the age itself is not in the rules, so it is a flag)"
    )
    benefit_started = models.DateField(
        null=True,
        blank=True,
        help_text="first month of the WW / WIA benefit (its first 2 months offset more)",
    )
    free_period_started = models.DateField(
        null=True, blank=True, help_text="first day of the first month of the current free-amount period"
    )
    personal_monthly_limit = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    income_basis = models.CharField(
        max_length=16, choices=IncomeBasis.choices, default=IncomeBasis.PAYOUT_DATE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(personal_monthly_limit__isnull=True) | Q(personal_monthly_limit__gte=0),
                name="situation_limit_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.maker_id}: {self.regime}"


class CapKind(models.TextChoices):
    AMOUNT = "amount", "a fixed amount"
    NONE = "none", "no cap in the law"
    DISCRETIONARY = "discretionary", "the college decides"
    UNKNOWN = "unknown", "not (yet) published or not confirmed"


class CapPeriod(models.TextChoices):
    MONTH = "month"
    YEAR = "year"


class PercentMeaning(models.TextChoices):
    FREE = "free", "share of income not counted"
    OFFSET = "offset", "share of income deducted from the benefit"
    OF_REFERENCE = "of_reference", "share of a reference amount (minimum wage, WW-maandloon)"


class BenefitRule(models.Model):
    """One version of one rule. Closed by ``valid_to``; a new amount is a new row."""

    regime = models.CharField(max_length=16, choices=Regime.choices)
    code = models.CharField(max_length=32)
    municipality = models.CharField(max_length=100, blank=True, help_text="blank: national rule")
    percentage = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    percentage_meaning = models.CharField(
        max_length=16, choices=PercentMeaning.choices, default=PercentMeaning.FREE
    )
    cap_kind = models.CharField(max_length=16, choices=CapKind.choices)
    cap_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    cap_period = models.CharField(max_length=8, choices=CapPeriod.choices, default=CapPeriod.MONTH)
    max_duration_months = models.PositiveSmallIntegerField(null=True, blank=True)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age_exclusive = models.PositiveSmallIntegerField(null=True, blank=True)
    requires_municipality_switch = models.BooleanField(default=False)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="last day it applies; blank: open")
    source_url = models.URLField(max_length=300)
    source = models.CharField(max_length=300, help_text="citation as in the facts file")
    verified = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["code", "municipality", "cap_period", "valid_from"], name="benefit_rule_version"
            ),
            models.CheckConstraint(
                condition=(Q(cap_kind="amount") & Q(cap_amount__isnull=False))
                | (~Q(cap_kind="amount") & Q(cap_amount__isnull=True)),
                name="benefit_rule_cap_amount_iff_amount",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="benefit_rule_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(percentage__isnull=True) | (Q(percentage__gte=0) & Q(percentage__lte=100)),
                name="benefit_rule_percentage_0_100",
            ),
        ]
        indexes = [models.Index(fields=["valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.code} {self.cap_period} from {self.valid_from}"


class BijstandNorm(models.Model):
    household_type = models.CharField(max_length=16, choices=HouseholdType.choices)
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="per month incl. holiday allowance"
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    source_url = models.URLField(max_length=300)
    verified = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["household_type", "valid_from"], name="bijstand_norm_version"),
        ]

    def __str__(self) -> str:
        return f"{self.household_type} from {self.valid_from}: {self.amount}"


class ReferenceAmount(models.Model):
    """An effective-dated amount that rules refer to but that is not a rule itself (minimum wage,
    referentiemaandloon, the bijstand asset limits). NULL where the facts file has no number."""

    code = models.CharField(max_length=32)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=8, help_text="hour, month or once")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    source_url = models.URLField(max_length=300)
    source = models.CharField(max_length=300)
    verified = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="reference_amount_version"),
            models.CheckConstraint(
                condition=Q(amount__isnull=False) | Q(verified=False),
                name="reference_amount_unknown_unverified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} from {self.valid_from}: {self.amount}"


class MunicipalitySwitch(models.Model):
    """A municipality's decision to apply a rule early (``pw-34a`` in the 2026 transition year)."""

    municipality = models.CharField(max_length=100)
    rule_code = models.CharField(max_length=32)
    enabled = models.BooleanField(default=True)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    decision_reference = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "rule_code", "valid_from"], name="municipality_switch_version"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.municipality} {self.rule_code} {'on' if self.enabled else 'off'} from {self.valid_from}"
        )


class InitiativeBenefitPolicy(models.Model):
    initiative = models.OneToOneField(
        "makers.Initiative", on_delete=models.CASCADE, related_name="benefit_policy"
    )
    approaching_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("80.00"),
        validators=[MinValueValidator(Decimal(1)), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(approaching_percent__gte=1) & Q(approaching_percent__lte=100),
                name="policy_approaching_1_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}: approaching at {self.approaching_percent}%"


class Level(models.TextChoices):
    OK = "ok"
    APPROACHING = "approaching"
    REACHED = "reached"
    OVER = "over"


class Position(models.Model):
    """A maker's latest computed position for one month (an indication, never a decision)."""

    maker = models.ForeignKey("makers.Maker", on_delete=models.CASCADE, related_name="benefit_positions")
    month = models.DateField()
    currency = models.CharField(max_length=3, default="EUR")
    earned = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=16, choices=Level.choices)
    threshold = models.CharField(max_length=32, blank=True, help_text="the threshold behind the status")
    threshold_limit = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    room_left = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="to the nearest threshold ahead"
    )
    free_amount = models.DecimalField(max_digits=12, decimal_places=2)
    deduction = models.DecimalField(max_digits=12, decimal_places=2)
    rule_code = models.CharField(max_length=32, blank=True)
    source_url = models.URLField(max_length=300, blank=True)
    verified = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["maker", "month"], name="position_maker_month")]

    def __str__(self) -> str:
        return f"{self.maker_id} {self.month:%Y-%m}: {self.status}"


class Notification(models.Model):
    """One announcement per maker, threshold, level and month; the constraint makes repeats impossible."""

    maker = models.ForeignKey("makers.Maker", on_delete=models.CASCADE, related_name="benefit_notifications")
    month = models.DateField()
    threshold = models.CharField(max_length=32)
    level = models.CharField(max_length=16, choices=Level.choices)
    earned = models.DecimalField(max_digits=12, decimal_places=2)
    threshold_limit = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["maker", "month", "threshold", "level"], name="notification_once_per_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.maker_id} {self.month:%Y-%m} {self.threshold} {self.level}"
