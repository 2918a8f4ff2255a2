"""Plain-language names shown to makers (B1): thresholds, statuses and ledger kinds."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

THRESHOLD_LABELS = {
    "free_cap": _("the limit of your free amount"),
    "benefit_stop": _("the income at which your benefit stops"),
    "personal_limit": _("the limit you agreed with your client manager"),
}

STATUS_LABELS = {
    "ok": _("Not close to a limit"),
    "approaching": _("Close to a limit"),
    "reached": _("At a limit"),
    "over": _("Above a limit"),
}

ENTRY_KIND_LABELS = {
    "sale": _("Sold"),
    "reversal": _("Returned or refunded"),
    "correction": _("Correction"),
    "payout": _("Paid to your bank account"),
    "payout_return": _("Payment came back"),
    "pot_spend": _("Spent from your pot"),
}


def label(table: Mapping[str, object], key: str) -> str:
    return str(table.get(key, key))


# Payout states in the maker's words (drafts and cancelled payouts are never shown to makers).
PAYOUT_STATE_LABELS = {
    "approved": _("Approved. We send it soon."),
    "submitting": _("Being sent now."),
    "submitted": _("Sent. On its way to your bank account."),
    "outcome_unknown": _("We are checking this payment. Your money is safe."),
    "paid": _("Paid into your bank account."),
    "failed": _("Not sent. The money is back on your balance."),
    "reversed": _("Taken back. The money is back on your balance."),
}

ACCOUNT_STATUS_LABELS = {
    "new": _("You have not filled in your bank details yet."),
    "details_needed": _("Stripe still needs some details from you."),
    "in_review": _("Stripe is checking your details."),
    "ready": _("Your bank account is ready to receive money."),
    "blocked": _("Payments to you are blocked. Please talk to your coordinator."),
}

# The maker's own benefit situation on "My data", in words instead of codes.
REGIME_LABELS = {
    "none": _("No benefit"),
    "bijstand": _("Bijstand (social assistance)"),
    "ww": _("WW (unemployment benefit)"),
    "wia_wga": _("WIA or WGA (benefit when you are ill or disabled)"),
    "wajong": _("Wajong"),
    "other": _("Another benefit, or not known"),
}

HOUSEHOLD_LABELS = {
    "": _("Not known"),
    "single": _("You live alone, or alone with your children"),
    "couple": _("You live with a partner"),
    "single_18_20": _("You live alone and are 18 to 20 years old"),
}

INCOME_BASIS_LABELS = {
    "payout_date": _("When the money is paid to you"),
    "sale_date": _("When something is sold"),
}
