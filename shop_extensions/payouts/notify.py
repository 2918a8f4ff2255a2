"""Telling makers and coordinators what happened to a payout, in plain words (B1), in the maker's language.
Mails go out after the commit that changed the payout, so a rolled-back change never mails."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from shop_extensions.core.money import amount_text
from shop_extensions.makers.models import Maker

KINDS = ("sent", "paid", "failed", "bank_failed", "reversed")


def _amount(amount: Decimal) -> str:
    """In the notation of the language the message is written in (Dutch: 1.234,56)."""
    return amount_text(amount, translation.get_language() or settings.LANGUAGE_CODE)


def _maker_text(kind: str, amount: Decimal, reason: str) -> tuple[str, str]:
    texts = {
        "sent": (
            _("Rode Draad: your money is on its way"),
            _("We sent € %(amount)s to your Stripe account. It reaches your bank account in a few days."),
        ),
        "paid": (
            _("Rode Draad: your money is in your bank account"),
            _("Stripe paid € %(amount)s into your bank account."),
        ),
        "failed": (
            _("Rode Draad: we could not send your money"),
            _(
                "We could not send € %(amount)s. The money is still yours: it stays on your balance "
                "and we try again with the next payout. Reason: %(reason)s"
            ),
        ),
        "bank_failed": (
            _("Rode Draad: your bank did not accept the payment"),
            _(
                "Your bank did not accept € %(amount)s. The money is safe in your Stripe account. "
                "Please check your bank details with your coordinator. Reason: %(reason)s"
            ),
        ),
        "reversed": (
            _("Rode Draad: money was taken back"),
            _(
                "€ %(amount)s was taken back from your Stripe account because a customer got a refund. "
                "It is settled on your balance."
            ),
        ),
    }
    subject, body = texts[kind]
    return subject, body % {"amount": _amount(amount), "reason": reason or "-"}


def _coordinator_text(kind: str, maker_name: str, amount: Decimal, reason: str) -> tuple[str, str]:
    what = {
        "sent": _("was sent"),
        "paid": _("was paid into the bank account"),
        "failed": _("could not be sent (the money stays on the balance)"),
        "bank_failed": _("was refused by the maker's bank (the money is in their Stripe account)"),
        "reversed": _("was partly or fully taken back after a refund"),
    }[kind]
    subject = _("Rode Draad: payout to %(name)s") % {"name": maker_name}
    body = _("The payout of € %(amount)s to %(name)s %(what)s.") % {
        "amount": _amount(amount),
        "name": maker_name,
        "what": what,
    }
    if reason:
        body += " " + _("Reason: %(reason)s") % {"reason": reason}
    return subject, body


def _send(maker_id: int, kind: str, amount: Decimal, reason: str) -> None:
    maker = Maker.objects.get(pk=maker_id)
    mails: list[EmailMessage] = []
    if maker.email:
        with translation.override(maker.preferred_language):
            subject, body = _maker_text(kind, amount, reason)
        mails.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [maker.email]))
    coordinators = list(
        get_user_model()
        .objects.filter(coordinator_roles__initiative_id=maker.initiative_id)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if coordinators:
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = _coordinator_text(kind, maker.display_name, amount, reason)
        mails.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, coordinators))
    if mails:
        get_connection().send_messages(mails)


def notify_after_commit(*, maker_id: int, kind: str, amount: Decimal, reason: str = "") -> None:
    # robust: a mail server outage must not undo or fail the committed payout change.
    transaction.on_commit(lambda: _send(maker_id, kind, amount, reason), robust=True)
