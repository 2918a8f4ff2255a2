"""Browser tests: Debian's Chromium driven by Python playwright against Django's live server.

Never ``playwright install``: the browser is the system's (``/usr/lib/chromium/chromium``, installed by
``.ci/run`` when missing). Without it the tests skip with the reason, except under ``CI=true`` where they
fail. Each page check runs axe-core (bundled with axe-playwright-python, so offline) with the WCAG 2.0/2.1/
2.2 A and AA tags, walks the page with the Tab key, and saves a screenshot to ``tests/e2e/artifacts/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PHONE = {"width": 390, "height": 844}
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} and CI=true: browser tests must run")
    pytest.skip(f"{reason} (install Debian's chromium to run browser tests)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it are
    # synchronous and safe (the live server answers from its own thread). Only while the browser runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A phone-sized page in a fresh context (no cookies shared between tests), asking for Dutch."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=1, accept_downloads=True, locale="nl-NL"
    )
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^a-z0-9_.-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.x A/AA violations on the current page, one readable line per failing node."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    found = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            found.append(f"{violation['id']}: {node['target']} {node.get('failureSummary', '')[:200]}")
    return found


FOCUSABLE = (
    "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), "
    "textarea:not([disabled]), [tabindex]:not([tabindex='-1'])"
)

_DESCRIBE = """el => {
  if (!el || el === document.body) return null;
  const path = [];
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    const siblings = n.parentElement ? Array.from(n.parentElement.children) : [n];
    path.unshift(n.tagName.toLowerCase() + ':' + siblings.indexOf(n));
  }
  const style = getComputedStyle(el);
  const visibleFocus = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== 'none';
  return {path: path.join('>'), visibleFocus, text: (el.innerText || el.value || el.name || '').slice(0, 40)};
}"""

_ALL_FOCUSABLE = (
    """sel => Array.from(document.querySelectorAll(sel)).filter(el => {
  const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
  return s.visibility !== 'hidden' && s.display !== 'none' && (r.width > 0 || r.height > 0 || el.matches(':focus')
    || el.classList.contains('skip-link'));
}).map(el => ("""
    + _DESCRIBE
    + """)(el).path)"""
)


def keyboard_walk(page: Any, limit: int = 250) -> list[dict[str, Any]]:
    """Press Tab from the top of the page until focus comes back round; every link, button and field must
    be reached, each with a visible focus indicator. Returns the stops in order."""
    expected = page.evaluate(_ALL_FOCUSABLE, FOCUSABLE)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops: list[dict[str, Any]] = []
    seen: set[str] = set()
    outside = 0  # focus left the page (browser UI): the next Tab starts again at the top
    for _ in range(limit):
        page.keyboard.press("Tab")
        described = page.evaluate(f"() => ({_DESCRIBE})(document.activeElement)")
        if described is None:
            outside += 1
            if outside > 2:
                break
            continue
        if described["path"] in seen:
            break
        seen.add(described["path"])
        stops.append(described)
    reached = {stop["path"] for stop in stops}
    unreached = [path for path in expected if path not in reached]
    assert unreached == [], f"not reachable with Tab: {unreached}"
    invisible = [stop["text"] or stop["path"] for stop in stops if not stop["visibleFocus"]]
    assert invisible == [], f"no visible focus on: {invisible}"
    return stops


def check_page(page: Any, name: str) -> None:
    """The checks every page gets: no axe violation, keyboard reachable with visible focus, a screenshot."""
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], "\n".join(violations)
    keyboard_walk(page)
