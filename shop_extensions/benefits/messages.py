"""Warning texts for makers (plain Dutch at B1 level, or English) and coordinators, through gettext
(catalogues in ``benefits/locale``; msgids are English, context ``benefits``). Each maker message makes one
point, says what to do, and says it is an estimate, not a decision."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from shop_extensions.core.money import amount_text

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

SUBJECT = pgettext_lazy("benefits", "Rode Draad: your earnings in %(month)s")

# (threshold, level) -> what happened. One point per message.
MAKER_TEXT: dict[tuple[str, str], Promise] = {
    ("free_cap", "approaching"): pgettext_lazy(
        "benefits",
        "You earned %(earned)s this month. Above %(limit)s, every extra euro you earn is taken off your "
        "benefit.",
    ),
    ("free_cap", "reached"): pgettext_lazy(
        "benefits",
        "You earned %(earned)s this month. You cannot keep more extra this month. Every extra euro is "
        "taken off your benefit.",
    ),
    ("free_cap", "over"): pgettext_lazy(
        "benefits",
        "You earned %(earned)s this month. That is more than %(limit)s. What you earn above %(limit)s is "
        "taken off your benefit.",
    ),
    ("benefit_stop", "approaching"): pgettext_lazy(
        "benefits",
        "You earned %(earned)s this month. If you earn %(limit)s or more, you will probably get no "
        "benefit this month.",
    ),
    ("benefit_stop", "reached"): pgettext_lazy(
        "benefits",
        "You earned %(earned)s this month. With this income you will probably get no benefit this month.",
    ),
    ("benefit_stop", "over"): pgettext_lazy(
        "benefits",
        "You earned %(earned)s this month. That is more than %(limit)s. You will probably get no benefit "
        "this month.",
    ),
    ("personal_limit", "approaching"): pgettext_lazy(
        "benefits",
        "You earned %(earned)s this month. You agreed with your client manager to earn no more than "
        "%(limit)s a month.",
    ),
    ("personal_limit", "reached"): pgettext_lazy(
        "benefits",
        "You earned %(earned)s this month. That is the limit you agreed with your client manager.",
    ),
    ("personal_limit", "over"): pgettext_lazy(
        "benefits",
        "You earned %(earned)s this month. That is more than the %(limit)s you agreed with your client "
        "manager.",
    ),
    ("free_period_end", "approaching"): pgettext_lazy(
        "benefits",
        "Next month is the last month in which you may keep part of your earnings beside your benefit.",
    ),
    ("free_period_end", "reached"): pgettext_lazy(
        "benefits",
        "This month is the last month in which you may keep part of your earnings beside your benefit. "
        "After that, this may change.",
    ),
}
MAKER_FALLBACK = pgettext_lazy("benefits", "You earned %(earned)s this month.")

# threshold -> what to do.
MAKER_ACTION: dict[str, Promise] = {
    "free_cap": pgettext_lazy(
        "benefits", "Do you want to earn more this month? Talk to your client manager first."
    ),
    "benefit_stop": pgettext_lazy(
        "benefits", "Tell your client manager now. They can tell you what this means for you."
    ),
    "personal_limit": pgettext_lazy("benefits", "Talk to your client manager about this."),
    "free_period_end": pgettext_lazy("benefits", "Ask your client manager what happens after that."),
}
MAKER_ACTION_FALLBACK = pgettext_lazy("benefits", "Ask your client manager if you are not sure.")

FOOTER = pgettext_lazy(
    "benefits",
    "This is an estimate, not a decision. Only your municipality or UWV decides. Always report your income.",
)

# For the portal, next to an estimate whose notes name uncounted pot spending (facts §6: UNCERTAIN).
POT_SPENDING_NOTE = pgettext_lazy(
    "benefits",
    "Money spent from your pot this month is not counted as income here. It is not certain whether your "
    "municipality counts it. Ask your client manager.",
)
UNVERIFIED_NOTE = pgettext_lazy(
    "benefits", "Some amounts used here are not confirmed yet. The estimate may change."
)

COORDINATOR_SUBJECT = pgettext_lazy("benefits", "Rode Draad: %(maker)s, %(what)s (%(month)s)")
COORDINATOR_WHAT: dict[tuple[str, str], Promise] = {
    ("free_cap", "approaching"): pgettext_lazy("benefits", "close to the limit of the free amount"),
    ("free_cap", "reached"): pgettext_lazy("benefits", "at the limit of the free amount"),
    ("free_cap", "over"): pgettext_lazy("benefits", "over the limit of the free amount"),
    ("benefit_stop", "approaching"): pgettext_lazy("benefits", "close to the income where the benefit stops"),
    ("benefit_stop", "reached"): pgettext_lazy("benefits", "at the income where the benefit stops"),
    ("benefit_stop", "over"): pgettext_lazy("benefits", "over the income where the benefit stops"),
    ("personal_limit", "approaching"): pgettext_lazy("benefits", "close to the personal limit"),
    ("personal_limit", "reached"): pgettext_lazy("benefits", "at the personal limit"),
    ("personal_limit", "over"): pgettext_lazy("benefits", "over the personal limit"),
    ("free_period_end", "approaching"): pgettext_lazy("benefits", "free-amount period ends next month"),
    ("free_period_end", "reached"): pgettext_lazy("benefits", "last month of the free-amount period"),
}
COORDINATOR_BODY = pgettext_lazy(
    "benefits", "%(maker)s earned %(earned)s in %(month)s: %(what)s (limit %(limit)s)."
)
COORDINATOR_PERIOD_BODY = pgettext_lazy("benefits", "%(maker)s, %(month)s: %(what)s.")
COORDINATOR_FOOTER = pgettext_lazy(
    "benefits", "This is an indication, not a decision. The maker received a message too."
)


def all_texts() -> list[Promise]:
    """Every translatable text here (the catalogue test checks each is translated in every language)."""
    return [
        SUBJECT,
        *MAKER_TEXT.values(),
        MAKER_FALLBACK,
        *MAKER_ACTION.values(),
        MAKER_ACTION_FALLBACK,
        FOOTER,
        POT_SPENDING_NOTE,
        UNVERIFIED_NOTE,
        COORDINATOR_SUBJECT,
        *COORDINATOR_WHAT.values(),
        COORDINATOR_BODY,
        COORDINATOR_PERIOD_BODY,
        COORDINATOR_FOOTER,
    ]


def _language(language: str) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def euro(amount: Decimal, language: str) -> str:
    return f"€ {amount_text(amount, _language(language))}"


def _month(month: date) -> str:
    return f"{month:%m-%Y}"


def maker_message(
    *, language: str, threshold: str, level: str, earned: Decimal, limit: Decimal, month: date
) -> tuple[str, str]:
    lang = _language(language)
    with translation.override(lang):
        values = {"earned": euro(earned, lang), "limit": euro(limit, lang)}
        body = str(MAKER_TEXT.get((threshold, level), MAKER_FALLBACK)) % values
        action = str(MAKER_ACTION.get(threshold, MAKER_ACTION_FALLBACK))
        return str(SUBJECT) % {"month": _month(month)}, f"{body}\n{action}\n\n{FOOTER}"


def coordinator_message(
    *,
    language: str,
    maker_name: str,
    threshold: str,
    level: str,
    earned: Decimal,
    limit: Decimal,
    month: date,
) -> tuple[str, str]:
    lang = _language(language)
    with translation.override(lang):
        what = str(COORDINATOR_WHAT.get((threshold, level), f"{threshold} {level}"))
        values = {
            "maker": maker_name,
            "earned": euro(earned, lang),
            "limit": euro(limit, lang),
            "month": _month(month),
            "what": what,
        }
        template = COORDINATOR_PERIOD_BODY if threshold == "free_period_end" else COORDINATOR_BODY
        body = str(template) % values
        return str(COORDINATOR_SUBJECT) % values, f"{body}\n\n{COORDINATOR_FOOTER}"


def note_text(kind: str, language: str) -> str:
    """``pot_spending`` or ``unverified``, for the portal next to an estimate."""
    with translation.override(_language(language)):
        return str(POT_SPENDING_NOTE if kind == "pot_spending" else UNVERIFIED_NOTE)
