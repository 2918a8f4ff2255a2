"""Initiatives, their coordinators, and the makers (participants) whose work they sell. No BSN, ever."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q


class AttributionBase(models.TextChoices):
    NET = "net", "net of VAT"
    GROSS = "gross", "including VAT"


class Initiative(models.Model):
    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    postal_code = models.CharField(max_length=16, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="NL")
    kvk_number = models.CharField(
        max_length=8, blank=True, validators=[RegexValidator(r"^\d{8}$", "a KvK number has 8 digits")]
    )
    installation = models.ForeignKey(
        "saleor_app.Installation", on_delete=models.PROTECT, null=True, blank=True, related_name="initiatives"
    )
    warehouse_id = models.CharField(
        max_length=255, blank=True, help_text="Saleor warehouse that holds the stock"
    )
    currency = models.CharField(max_length=3, default="EUR")
    default_commission_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    attribution_base = models.CharField(
        max_length=8, choices=AttributionBase.choices, default=AttributionBase.NET
    )
    attribute_partial_payments = models.BooleanField(
        default=False,
        help_text="attribute on ORDER_PAID for a partly paid order instead of waiting for full payment",
    )
    return_refunded_pieces_to_lots = models.BooleanField(
        default=False,
        help_text="refunded pieces (granted refund lines) go back to the maker's lot, ready to sell again",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(default_commission_percent__gte=0) & Q(default_commission_percent__lte=100),
                name="initiative_commission_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SalesChannel(models.Model):
    """A Saleor channel an initiative sells through; orders in it belong to that initiative."""

    installation = models.ForeignKey("saleor_app.Installation", on_delete=models.PROTECT)
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="channels")
    channel_slug = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["installation", "channel_slug"], name="channel_one_initiative"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_slug} → {self.initiative}"


class CoordinatorRole(models.TextChoices):
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Coordinator(models.Model):
    """A user's role in one initiative. A user may coordinate several; each sees only its own."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinator_roles"
    )
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="coordinators")
    role = models.CharField(
        max_length=16, choices=CoordinatorRole.choices, default=CoordinatorRole.COORDINATOR
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "initiative"], name="coordinator_once_per_initiative")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}, {self.initiative})"


class Language(models.TextChoices):
    NL = "nl", "Nederlands"
    EN = "en", "English"


class Maker(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.PROTECT, related_name="makers")
    display_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    preferred_language = models.CharField(max_length=2, choices=Language.choices, default=Language.NL)
    internal_reference = models.CharField(max_length=64, help_text="the initiative's own reference")
    consent_public_name = models.BooleanField(default=False, help_text="may show their name on products")
    consent_share_statements = models.BooleanField(
        default=False, help_text="statements may be sent to others"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="maker"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "internal_reference"], name="maker_reference_unique"
            ),
            models.CheckConstraint(condition=~Q(email="") | ~Q(phone=""), name="maker_has_contact"),
        ]

    def __str__(self) -> str:
        return self.display_name
