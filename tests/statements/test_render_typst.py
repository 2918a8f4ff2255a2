"""The PDF renderer keeps one typst compiler per process and hands it each statement as ``data.json``: every
render shows its own data (never a cached earlier statement's), the same input gives the same bytes, data is
text and never markup, a process forked before any render renders in its own folder, and one forked after a render is refused
at once (typst's threads do not survive a fork) instead of hanging."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shop_extensions.statements import rendering
from tests.bench.bench_statements import content_for

ROOT = Path(__file__).resolve().parents[2]

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


def test_a_process_forked_before_any_render_renders_in_its_own_folder(tmp_path: Path) -> None:
    """What Celery's prefork pool does: the parent forks its workers before any statement is rendered."""
    script = f"""
import os, sys
import django
django.setup()
from tests.statements.test_render_typst import _content, _document
from shop_extensions.statements import rendering
pid = os.fork()
if pid == 0:
    pdf = rendering.pdf_render(_content(4, "Child"), _document("DDDDD-00004"))
    folder = rendering._typst().folder
    open({str(tmp_path / "child")!r}, "w").write(str(folder) + "\\n" + str(pdf.startswith(b"%PDF-")))
    os._exit(0)
_, status = os.waitpid(pid, 0)
parent_pdf = rendering.pdf_render(_content(5, "Parent"), _document("EEEEE-00005"))
print(os.waitstatus_to_exitcode(status), rendering._typst().folder, parent_pdf.startswith(b"%PDF-"))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings.test"},
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-2000:]
    exit_code, parent_folder, parent_ok = done.stdout.split()
    child_folder, child_ok = (tmp_path / "child").read_text().split("\n")
    assert (exit_code, parent_ok, child_ok) == ("0", "True", "True")
    assert child_folder != parent_folder


def test_a_process_forked_after_a_render_is_refused_instead_of_hanging() -> None:
    rendering.pdf_render(_content(6, "Parent"), _document("FFFFF-00006"))
    pid = os.fork()
    if pid == 0:  # the child: must raise at once, not wait forever for typst's threads
        try:
            rendering.pdf_render(_content(7, "Child"), _document("GGGGG-00007"))
        except rendering.ForkedAfterTypst:
            os._exit(0)
        except BaseException:
            os._exit(2)
        os._exit(1)
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError("the forked child hung in typst")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(status) == 0
