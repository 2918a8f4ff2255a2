"""The workspace's own catalogues: every string has a Dutch and an English translation, compiled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "shop_extensions" / "coordinator" / "locale"


def untranslated(po: Path) -> list[str]:
    """msgids whose msgstr (or any plural msgstr) is empty, the header excepted; the files are --no-wrap."""
    missing = []
    for block in po.read_text(encoding="utf-8").split("\n\n")[1:]:
        msgid = re.search(r'^msgid "(.*)"$', block, re.M)
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"$', block, re.M)
        if msgid and (not strings or not all(strings) or "#, fuzzy" in block):
            missing.append(msgid.group(1))
    return missing


@pytest.mark.parametrize("language", ["nl", "en"])
def test_catalogue_is_complete_and_compiled(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")

    assert untranslated(po) == []
    assert mo.exists()
    assert mo.stat().st_mtime >= po.stat().st_mtime - 1  # compiled after the last edit


def test_pages_speak_dutch_by_default(world, settings):
    settings.LANGUAGE_CODE = "nl"
    client = Client()
    client.force_login(world.coordinator_x)

    page = client.get(reverse("coordinator:makers")).content.decode()

    assert '<html lang="nl">' in page
    assert "Maker inschrijven" in page
    with translation.override("nl"):
        assert translation.gettext("Register a maker") == "Maker inschrijven"
