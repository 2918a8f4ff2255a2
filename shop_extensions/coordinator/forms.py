"""Forms of the coordinator workspace: they check input and say what is wrong in plain words; the services
decide and write."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.forms import formset_factory
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext_lazy as _

from shop_extensions.benefits.models import HouseholdType, IncomeBasis, Regime
from shop_extensions.catalog.models import StockSync
from shop_extensions.makers.models import Language, Maker
from shop_extensions.payouts.models import PayoutState

HUNDRED = Decimal("100.00")
# Plain text fields for dates: Chromium's native date inputs trap the Tab key in their calendar button.
DATE_FORMATS = ["%d-%m-%Y", "%Y-%m-%d"]
MONTH_FORMATS = ["%m-%Y", "%Y-%m"]


def date_field(label: Any, **extra: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(format="%d-%m-%Y", attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Day-month-year, for example 31-12-1990."),
        **extra,
    )


# The models' choice labels are not translated; the workspace shows these (same values, plain words).
REGIME_CHOICES = [
    (Regime.NONE, _("No benefit")),
    (Regime.BIJSTAND, _("Bijstand (Participatiewet)")),
    (Regime.WW, _("WW")),
    (Regime.WIA_WGA, _("WIA / WGA")),
    (Regime.WAJONG, _("Wajong")),
    (Regime.OTHER, _("Other or unknown")),
]
HOUSEHOLD_CHOICES = [
    (HouseholdType.UNKNOWN, _("Unknown")),
    (HouseholdType.SINGLE, _("Single or single parent, 21 to state pension age")),
    (HouseholdType.COUPLE, _("Couple, both 21 to state pension age")),
    (HouseholdType.SINGLE_18_20, _("Single, 18 to 20")),
]
INCOME_BASIS_CHOICES = [
    (IncomeBasis.PAYOUT_DATE, _("The day it is paid out")),
    (IncomeBasis.SALE_DATE, _("The day of the sale")),
]
SYNC_CHOICES = [
    ("", _("All")),
    (StockSync.PENDING, _("waiting")),
    (StockSync.SYNCED, _("in stock")),
    (StockSync.FAILED, _("failed, tried again")),
    (StockSync.UNKNOWN, _("unknown, please check")),
]


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username")
        self.fields["password"].widget.attrs.update(autocomplete="current-password")


class MakerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search name, reference or e-mail"), required=False, max_length=100)
    active = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("Active makers")), ("inactive", _("Inactive makers")), ("all", _("All makers"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.input_type = "search"


class MakerForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=100)
    internal_reference = forms.CharField(
        label=_("Your reference"), max_length=64, help_text=_("A number or code your initiative uses.")
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    preferred_language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    consent_public_name = forms.BooleanField(
        label=_("Their name may be shown with their products"), required=False
    )
    consent_share_statements = forms.BooleanField(
        label=_("Their statements may be sent to someone else, such as a client manager"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["phone"].widget.input_type = "tel"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not (data.get("phone") or "").strip():
            raise forms.ValidationError(_("Give an e-mail address or a phone number."))
        return data


class MakerEditForm(MakerForm):
    is_active = forms.BooleanField(label=_("Active (still works with the initiative)"), required=False)


class SituationForm(forms.Form):
    regime = forms.ChoiceField(label=_("Benefit"), choices=REGIME_CHOICES)
    municipality = forms.CharField(label=_("Municipality"), required=False, max_length=100)
    date_of_birth = date_field(_("Date of birth"))
    under_27 = forms.BooleanField(label=_("Younger than 27"), required=False)
    household_type = forms.ChoiceField(label=_("Household"), choices=HOUSEHOLD_CHOICES, required=False)
    single_parent_child_under_12 = forms.BooleanField(
        label=_("Single parent with a child under 12 (as the municipality decided)"), required=False
    )
    medically_limited = forms.BooleanField(
        label=_("Medically limited (as the municipality decided)"),
        required=False,
        help_text=_("Health information: only you and other coordinators of this maker see it."),
    )
    loonkostensubsidie = forms.BooleanField(label=_("Wage cost subsidy"), required=False)
    free_period_started = date_field(_("Free period started"))
    personal_monthly_limit = forms.DecimalField(
        label=_("Personal monthly limit (EUR)"), required=False, min_value=0, decimal_places=2, max_digits=12
    )
    income_basis = forms.ChoiceField(label=_("Income counts from"), choices=INCOME_BASIS_CHOICES)


class ProductSearchForm(forms.Form):
    q = forms.CharField(label=_("Search products by name or SKU"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.input_type = "search"


class ShareForm(forms.Form):
    maker = forms.ModelChoiceField(
        label=_("Maker"), queryset=Maker.objects.none(), required=False, empty_label=_("Choose a maker")
    )
    percent = forms.DecimalField(
        label=_("Share (%)"), required=False, min_value=Decimal("0.01"), max_value=HUNDRED, decimal_places=2
    )

    def __init__(self, *args: Any, makers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if makers is not None:
            self.fields["maker"].queryset = makers  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("maker")) != (data.get("percent") is not None):
            raise forms.ValidationError(_("Choose a maker and give their share, or leave both empty."))
        return data


class BaseShareFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        rows = [form.cleaned_data for form in self.forms if form.cleaned_data.get("maker")]
        if not rows:
            raise forms.ValidationError(_("Choose at least one maker."))
        makers = [row["maker"].pk for row in rows]
        if len(set(makers)) != len(makers):
            raise forms.ValidationError(_("Each maker may appear only once."))
        total = sum((row["percent"] for row in rows), Decimal(0))
        if total != HUNDRED:
            raise forms.ValidationError(
                _("The shares add up to %(total)s%%; they must add up to exactly 100%%.")
                % {"total": floatformat(total, -2)}
            )

    def shares(self) -> list[tuple[Maker, Decimal]]:
        return [
            (form.cleaned_data["maker"], form.cleaned_data["percent"])
            for form in self.forms
            if form.cleaned_data.get("maker")
        ]


ShareFormSet = cast(
    type[BaseShareFormSet],
    formset_factory(ShareForm, formset=BaseShareFormSet, extra=0, min_num=3, max_num=10),
)


class RuleForm(forms.Form):
    """The product (and, for a rule of one variant, the variant) travel as hidden fields; the view checks
    they belong to the initiative's catalogue."""

    saleor_product_id = forms.CharField(widget=forms.HiddenInput, max_length=255)
    saleor_variant_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=255)
    commission_percent = forms.DecimalField(
        label=_("Commission for the initiative (%)"),
        required=False,
        min_value=0,
        max_value=HUNDRED,
        decimal_places=2,
        help_text=_("Leave empty to use the initiative's usual commission."),
    )


class LotFilterForm(forms.Form):
    maker = forms.ModelChoiceField(
        label=_("Maker"), queryset=Maker.objects.none(), required=False, empty_label=_("All makers")
    )
    sync = forms.ChoiceField(
        label=_("Stock in Saleor"),
        required=False,
        choices=SYNC_CHOICES,
    )

    def __init__(self, *args: Any, makers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if makers is not None:
            self.fields["maker"].queryset = makers  # type: ignore[attr-defined]


class LotForm(forms.Form):
    maker = forms.ModelChoiceField(
        label=_("Maker"), queryset=Maker.objects.none(), empty_label=_("Choose a maker")
    )
    saleor_variant_id = forms.ChoiceField(label=_("Product"), choices=[])
    quantity = forms.IntegerField(label=_("Number of pieces delivered"), min_value=1, max_value=100_000)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(
        self, *args: Any, makers: Any = None, variants: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", f"coordinator-lot-{uuid.uuid4()}")
        super().__init__(*args, **kwargs)
        if makers is not None:
            self.fields["maker"].queryset = makers  # type: ignore[attr-defined]
        self.fields["saleor_variant_id"].choices = [("", _("Choose a product")), *(variants or [])]  # type: ignore[attr-defined]


class CorrectionForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Change in pieces"),
        help_text=_("For example -2 when two pieces were damaged, or 3 when three more were found."),
        min_value=-100_000,
        max_value=100_000,
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", f"coordinator-fix-{uuid.uuid4()}")
        super().__init__(*args, **kwargs)

    def clean_quantity(self) -> int:
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError(_("A correction cannot be zero pieces."))
        return int(quantity)


class StockResolveForm(forms.Form):
    landed = forms.TypedChoiceField(
        label=_("What did you find in the Saleor Dashboard?"),
        widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
        choices=[
            ("yes", _("The pieces are in stock: mark as done")),
            ("no", _("The pieces are missing: add them again")),
        ],
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False, max_length=100)
    since = date_field(_("From"))
    until = date_field(_("Until"))


class MonthForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=MONTH_FORMATS,
        widget=forms.DateInput(format="%m-%Y", attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Month-year, for example 10-2026."),
    )


class PayoutFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All")), *PayoutState.choices]
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
