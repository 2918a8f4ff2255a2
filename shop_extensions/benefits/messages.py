"""Warning texts: plain Dutch (B1) or English. Each says it is an estimate, not a decision."""

from __future__ import annotations

from decimal import Decimal

THRESHOLD_NAMES = {
    "nl": {
        "free_cap": "de grens van uw vrijlating",
        "benefit_stop": "het inkomen waarbij uw uitkering stopt",
        "personal_limit": "de grens die u met uw klantmanager heeft afgesproken",
    },
    "en": {
        "free_cap": "the limit of your free amount",
        "benefit_stop": "the income at which your benefit stops",
        "personal_limit": "the limit you agreed with your client manager",
    },
}

LEVEL_TEXT = {
    "nl": {
        "approaching": "U komt dicht bij {name}. U verdiende deze maand € {earned}. De grens is € {limit}.",
        "reached": "U verdiende deze maand € {earned}. Dat is precies {name}.",
        "over": "U verdiende deze maand € {earned}. Dat is meer dan {name} (€ {limit}).",
    },
    "en": {
        "approaching": "You are getting close to {name}. You earned € {earned} this month. The limit is € {limit}.",
        "reached": "You earned € {earned} this month. That is exactly {name}.",
        "over": "You earned € {earned} this month. That is more than {name} (€ {limit}).",
    },
}

WHAT_IT_MEANS = {
    "nl": {
        "free_cap": "Boven deze grens gaat elke euro die u verdient van uw uitkering af.",
        "benefit_stop": "Boven deze grens krijgt u deze maand waarschijnlijk geen uitkering.",
        "personal_limit": "Bespreek dit met uw klantmanager.",
    },
    "en": {
        "free_cap": "Above this limit, every euro you earn is taken off your benefit.",
        "benefit_stop": "Above this limit you will probably get no benefit this month.",
        "personal_limit": "Talk to your client manager about this.",
    },
}

FOOTER = {
    "nl": "Dit is een schatting, geen besluit. Alleen uw gemeente of UWV beslist. Vraag het uw klantmanager "
    "als u twijfelt. Geef uw inkomsten altijd door.",
    "en": "This is an estimate, not a decision. Only your municipality or UWV decides. Ask your client "
    "manager if you are unsure. Always report your income.",
}

SUBJECT = {"nl": "Rode Draad: uw verdiensten in {month}", "en": "Rode Draad: your earnings in {month}"}


def maker_message(
    *, language: str, threshold: str, level: str, earned: Decimal, limit: Decimal, month: str
) -> tuple[str, str]:
    lang = language if language in LEVEL_TEXT else "nl"
    name = THRESHOLD_NAMES[lang].get(threshold, threshold)
    body = LEVEL_TEXT[lang][level].format(name=name, earned=earned, limit=limit)
    meaning = WHAT_IT_MEANS[lang].get(threshold, "")
    return SUBJECT[lang].format(month=month), f"{body} {meaning}".strip() + f"\n\n{FOOTER[lang]}"


def coordinator_message(
    *, maker_name: str, threshold: str, level: str, earned: Decimal, limit: Decimal, month: str
) -> tuple[str, str]:
    subject = f"Rode Draad: {maker_name}: {threshold} {level} ({month})"
    body = (
        f"{maker_name}: {level} ({threshold}), € {earned} / € {limit} in {month}.\n"
        "Dit is een indicatie, geen besluit. / This is an indication, not a decision."
    )
    return subject, body
