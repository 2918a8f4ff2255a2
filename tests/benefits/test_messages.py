"""Maker and coordinator texts come from complete nl / en gettext catalogues."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import polib
import pytest
from django.utils import translation

from shop_extensions.benefits import messages

LOCALE = Path(messages.__file__).parent / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _key(text):
    """(context, msgid) of a ``pgettext_lazy`` text: with translation off it renders as its msgid."""
    with translation.override(None):
        return ("benefits", str(text))


@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_catalogue_is_complete_and_compiled(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    translated = {(e.msgctxt, e.msgid): e.msgstr for e in po if e.msgstr and "fuzzy" not in e.flags}
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo if e.msgid}

    wanted = {_key(text) for text in messages.all_texts()}
    assert wanted - set(translated) == set()
    assert set(translated) - wanted == set()  # nothing stale
    assert compiled == translated  # the .mo is compiled from this .po
    for (_, msgid), msgstr in translated.items():
        assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(msgid))


@pytest.mark.parametrize(("threshold", "level"), list(messages.MAKER_TEXT))
def test_every_maker_message_is_dutch_or_english(threshold, level):
    values = {
        "threshold": threshold,
        "level": level,
        "earned": Decimal("950.00"),
        "limit": Decimal("1140.00"),
    }

    nl_subject, nl_body = messages.maker_message(language="nl", month=date(2026, 1, 1), **values)
    en_subject, en_body = messages.maker_message(language="en", month=date(2026, 1, 1), **values)

    assert nl_subject == "Rode Draad: uw verdiensten in 01-2026"
    assert en_subject == "Rode Draad: your earnings in 01-2026"
    assert nl_body != en_body
    assert "Dit is een schatting, geen besluit." in nl_body
    assert "This is an estimate, not a decision." in en_body
    assert "%(" not in nl_body + en_body
    if threshold != "free_period_end":
        assert "€ 950,00" in nl_body
        assert "€ 950.00" in en_body


def test_unknown_language_falls_back_to_dutch():
    _, body = messages.maker_message(
        language="tr",
        threshold="free_cap",
        level="over",
        earned=Decimal("1200.00"),
        limit=Decimal("1140.00"),
        month=date(2026, 1, 1),
    )

    assert body.startswith("U verdiende deze maand € 1.200,00. Dat is meer dan € 1.140,00.")


def test_coordinator_message_in_the_site_language():
    subject, body = messages.coordinator_message(
        language="nl",
        maker_name="Fatima",
        threshold="benefit_stop",
        level="approaching",
        earned=Decimal("1200.00"),
        limit=Decimal("1401.50"),
        month=date(2026, 1, 1),
    )

    assert subject == "Rode Draad: Fatima, dicht bij het inkomen waarbij de uitkering stopt (01-2026)"
    assert body.startswith("Fatima verdiende € 1.200,00 in 01-2026")
    assert "Dit is een indicatie, geen besluit." in body


def test_pot_spending_note_in_both_languages():
    assert messages.note_text("pot_spending", "nl").startswith("Geld dat deze maand uit uw potje")
    assert messages.note_text("pot_spending", "en").startswith("Money spent from your pot")
