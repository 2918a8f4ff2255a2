from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("We send a code to this address."),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the e-mail"),
        help_text=_("6 digits. The code works for 10 minutes."),
        max_length=6,
        min_length=6,
        validators=[RegexValidator(r"^\d{6}$", _("Type the 6 digits from the e-mail."))],
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "class": "code-input",
                "pattern": "[0-9]{6}",
            }
        ),
    )


class WhatIfForm(forms.Form):
    extra = forms.DecimalField(
        label=_("Extra amount in euros"),
        help_text=_("For example 50 or 12.50."),
        min_value=Decimal("0.01"),
        max_value=Decimal("100000"),
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class DeletionForm(forms.Form):
    note = forms.CharField(
        label=_("Anything you want to tell us (not required)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ShareForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("The link works for"),
        coerce=int,
        initial=14,
        choices=[(7, _("1 week")), (14, _("2 weeks")), (30, _("1 month")), (90, _("3 months"))],
    )
