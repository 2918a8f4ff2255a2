"""The PDF renderer keeps one typst compiler per process and hands it each statement as ``data.json``: every
render shows its own data (never a cached earlier statement's), the same input gives the same bytes, data is
text and never markup, and a forked process gets its own folder."""

from __future__ import annotations

import random
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shop_extensions.statements import rendering
from tests.bench.bench_statements import content_for

ISSUED = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)


def _content(n: int, name: str, language: str = "nl") -> dict[str, Any]:
    content = content_for(n, random.Random(n))
    content["maker"]["name"] = name
    content["language"] = language
    return content


def _document(code: str) -> rendering.Document:
    return rendering.Document(1, code, f"https://rodedraad.example/statements/verify/{code}/", ISSUED)


def _text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (Debian poppler-utils) is missing: .ci/run installs it")
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_each_render_shows_its_own_statement_and_the_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    amal, bart = _content(1, "Amal Öztürk"), _content(2, "Bart Łukasz", "en")

    first = rendering.pdf_render(amal, _document("AAAAA-00001"))
    second = rendering.pdf_render(bart, _document("BBBBB-00002"))
    again = rendering.pdf_render(amal, _document("AAAAA-00001"))

    first_text, second_text = _text(first, tmp_path), _text(second, tmp_path)
    assert "Amal Öztürk" in first_text
    assert "AAAAA-00001" in first_text
    assert "Bart" not in first_text
    assert "BBBBB-00002" not in first_text
    assert "Bart Łukasz" in second_text
    assert "BBBBB-00002" in second_text
    assert "Income statement October 2026" in second_text
    assert "Amal" not in second_text
    assert again == first


def test_data_is_text_never_typst_markup(tmp_path: Path) -> None:
    name = '*B* _x_ #panic("n") $y$ <l> @r \\ "q"'

    text = _text(rendering.pdf_render(_content(3, name), _document("CCCCC-00003")), tmp_path)

    assert name in text


def test_a_forked_process_gets_its_own_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = rendering._typst()
    monkeypatch.setattr(rendering.os, "getpid", lambda: parent.pid + 100_000)
    child = rendering._typst()
    try:
        assert child is not parent
        assert child.folder != parent.folder
        assert child.pid == parent.pid + 100_000
        assert rendering.pdf_render(_content(4, "Child"), _document("DDDDD-00004")).startswith(b"%PDF-")
    finally:
        monkeypatch.undo()
        rendering._compiler.cache_clear()
        shutil.rmtree(child.folder, ignore_errors=True)
