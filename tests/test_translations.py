"""Every user-visible string of the portal, the coordinator workspace and the shared base page is
translatable, and each app's Dutch and English catalogues are complete (no empty or fuzzy entry) and
compiled (.mo holds exactly what .po says).

Strings are found without GNU gettext: templates through Django's own ``templatize`` (what makemessages
feeds to xgettext), Python through ``ast``. Text in a template outside ``{% translate %}`` /
``{% blocktranslate %}`` — and in aria-label, title, placeholder or alt attributes — fails the test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from django.template.base import Lexer, TokenType
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[1]
APPS = ["core", "portal", "coordinator"]
# Apps whose services' refusals (ApplicationError messages) reach people: the workspace shows them, the
# Dashboard and the onboarding links answer with them. Their refusal modules' strings are checked here;
# their admin and model texts are the operator's and are not.
REFUSAL_APPS = ["catalog", "makers", "ledger", "benefits", "payouts", "statements"]
REFUSAL_MODULES = {"services.py", "selectors.py", "views.py"}
APPLICATION_ERRORS = {
    "ApplicationError",
    "ValidationFailed",
    "PermissionDenied",
    "NotFound",
    "TransientError",
    "DashboardTokenRefused",
    "DashboardUserRefused",
    "CatalogueUnavailable",
    "TooManyAttempts",
}
# Refusals nobody reads, left in English on purpose: a caller's programming error, an operator's command,
# a 404 whose text is never shown, or an answer to Saleor or a worker (logs).
INTERNAL_REFUSALS = {
    "catalog/services.py": {
        "give exactly one of a Saleor product id or variant id",
        "a variant id and an idempotency key are required",
        "a correction needs a reason and an idempotency key",
    },
    "benefits/services.py": {
        "unknown regime {!r}",
        "unknown household type {!r}",
        "unknown income basis {!r}",
        "only the operator records municipality decisions",
        "valid_to is before valid_from",
        "the extra amount cannot be negative",
        "a personal limit cannot be negative",  # the workspace's form refuses it first
        "the warning percentage is between 1 and 100",  # set by the operator
    },
    "makers/services.py": {
        "only the operator creates initiatives",
        "unknown role {!r}",
        "a channel slug is required",
        "the initiative sells through another Saleor installation",
        "this channel belongs to another initiative",
    },
    "ledger/services.py": {
        "{!r} is not a payout or pot movement",
        "ledger key {} was already used for another movement",
    },
    "ledger/snapshot.py": {"payload amounts must be parsed as Decimal", "order payload without an order"},
    "payouts/services.py": {"unknown policy fields: {}", "no such payout"},
    "statements/services.py": {
        "no such maker",
        "no such run item",
        "no such initiative",
        "a share lasts 1 to {} days",
        "no such share",
        "this link is not valid (any more)",
    },
    "statements/selectors.py": {"unknown file kind {!r}"},
    "coordinator/selectors.py": {
        "the initiative is not linked to an active Saleor installation",
        "no such lot",
    },
    "portal/services.py": {
        "too many codes requested; wait a quarter of an hour",
        "too many wrong codes; wait a quarter of an hour",
        "this code is not valid (any more)",
    },
    "portal/selectors.py": {"no maker for this login"},
}
LANGUAGES = ["nl", "en"]
# Names and symbols that read the same in every language.
ALLOWED_TEXT = {"Rode Draad", "€", "\u2013", "·", "/", "(", ")", ":", "%", "&nbsp;", "&times;", "\u00d7", "|"}
GETTEXT_FUNCTIONS = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
VISIBLE_KEYWORDS = {"label", "help_text", "empty_label", "verbose_name"}
MESSAGE_CALLS = {"success", "info", "warning", "error", "debug", "add_message"}

STRING = r"""(?:u?'(?:[^'\\]|\\.)*'|u?"(?:[^"\\]|\\.)*")"""
CALL = re.compile(
    rf"\b(n?p?gettext)\(\s*({STRING})(?:\s*,\s*({STRING}))?(?:\s*,\s*({STRING}))?",
)


def app_dir(app: str) -> Path:
    return ROOT / "shop_extensions" / app


def templates_of(app: str) -> list[Path]:
    return sorted((app_dir(app) / "templates").rglob("*.html"))


def python_of(app: str) -> list[Path]:
    return sorted(p for p in app_dir(app).rglob("*.py") if "migrations" not in p.parts)


def present_apps() -> list[str]:
    return [app for app in APPS if app_dir(app).exists()]


def template_msgids(path: Path) -> set[str]:
    """(context + EOT +) msgid as gettext keys them, from what makemessages would extract."""
    found: set[str] = set()
    for match in CALL.finditer(templatize(path.read_text(encoding="utf-8"), origin=str(path))):
        function, *args = match.groups()
        strings = [ast.literal_eval(a) for a in args if a is not None]
        if function.startswith("np") or function.startswith("p"):
            context, msgid = strings[0], strings[1]
            found.add(f"{context}\x04{msgid}")
        else:
            found.add(strings[0])
    return found


def python_msgids(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name not in GETTEXT_FUNCTIONS or not node.args:
            continue
        values = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name.startswith("p") or name.startswith("np"):
            if len(values) >= 2:
                found.add(f"{values[0]}\x04{values[1]}")
        elif values:
            found.add(values[0])
    return found


def catalogue(app: str, language: str) -> polib.POFile:
    return polib.pofile(str(app_dir(app) / "locale" / language / "LC_MESSAGES" / "django.po"))


def key(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def translated_keys(po: polib.POFile) -> set[str]:
    keys = set()
    for entry in po:
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        done = all(entry.msgstr_plural.values()) if entry.msgid_plural else bool(entry.msgstr)
        if done:
            keys.add(key(entry))
    return keys


@pytest.mark.parametrize("app", present_apps())
@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_empty_or_fuzzy_entry(app, language):
    po = catalogue(app, language)

    assert [e.msgid for e in po if not e.obsolete and key(e) not in translated_keys(po)] == []
    assert [e.msgid for e in po if "fuzzy" in e.flags] == []
    assert po.metadata_is_fuzzy is False or po.metadata_is_fuzzy == []


@pytest.mark.parametrize("app", present_apps())
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_of_the_app_is_in_its_catalogue(app, language):
    keys = translated_keys(catalogue(app, language))
    wanted: dict[str, str] = {}
    for path in templates_of(app):
        for msgid in template_msgids(path):
            wanted.setdefault(msgid, str(path.relative_to(ROOT)))
    for path in python_of(app):
        for msgid in python_msgids(path):
            wanted.setdefault(msgid, str(path.relative_to(ROOT)))

    missing = {msgid: where for msgid, where in wanted.items() if msgid not in keys}

    assert missing == {}, f"run makemessages for {app} and translate (see CONTRIBUTING.md)"


@pytest.mark.parametrize("app", present_apps())
@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(app, language):
    po_path = app_dir(app) / "locale" / language / "LC_MESSAGES" / "django.po"
    mo = polib.mofile(str(po_path.with_suffix(".mo")))
    po = polib.pofile(str(po_path))

    def pairs(catalog: polib._BaseFile, skip_untranslated: bool) -> dict[tuple[str, str], object]:
        out: dict[tuple[str, str], object] = {}
        for e in catalog:
            if e.obsolete or "fuzzy" in e.flags or not e.msgid:
                continue
            value = tuple(sorted(e.msgstr_plural.items())) if e.msgid_plural else e.msgstr
            if skip_untranslated and not (all(e.msgstr_plural.values()) if e.msgid_plural else e.msgstr):
                continue
            out[(e.msgctxt or "", e.msgid)] = value
        return out

    assert pairs(mo, False) == pairs(po, True), f"compile {po_path.relative_to(ROOT)} again"


def visible_template_text(path: Path) -> list[str]:
    """Text a user would read that is not inside a translation tag."""
    pieces: list[str] = []
    in_block = False
    for token in Lexer(path.read_text(encoding="utf-8")).tokenize():
        if token.token_type == TokenType.BLOCK:
            command = token.contents.split()[0] if token.contents else ""
            if command in {"blocktranslate", "blocktrans"}:
                in_block = True
            elif command in {"endblocktranslate", "endblocktrans"}:
                in_block = False
            pieces.append("\x00")
        elif token.token_type == TokenType.TEXT and not in_block:
            pieces.append(token.contents)
        else:
            pieces.append("\x00")
    html = re.sub(r"<!--.*?-->", "", "".join(pieces), flags=re.S)
    found: list[str] = []
    for attribute in re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', html):
        found.append(attribute)
    text = re.sub(r"<[^>]*>", "\x00", html)
    found += text.split("\x00")
    leftovers = []
    for chunk in found:
        cleaned = chunk.strip()
        for allowed in sorted(ALLOWED_TEXT, key=len, reverse=True):
            cleaned = cleaned.replace(allowed, " ")
        if re.search(r"[^\W\d_]", cleaned):
            leftovers.append(chunk.strip())
    return leftovers


@pytest.mark.parametrize("app", present_apps())
def test_templates_have_no_text_outside_translation_tags(app):
    untranslated = {
        str(path.relative_to(ROOT)): text
        for path in templates_of(app)
        if (text := visible_template_text(path))
    }

    assert untranslated == {}


def python_visible_literals(path: Path) -> list[str]:
    """Plain string literals given where users read them: form labels and help, messages, form errors."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            value = keyword.value
            literal = isinstance(value, ast.Constant) and isinstance(value.value, str) and bool(value.value)
            if keyword.arg in VISIBLE_KEYWORDS and literal:
                found.append(f"{path.name}:{node.lineno} {keyword.arg}={value.value!r}")  # type: ignore[attr-defined]
        name = getattr(node.func, "attr", "") or getattr(node.func, "id", "")
        is_message = name in MESSAGE_CALLS and isinstance(node.func, ast.Attribute)
        is_message = is_message and getattr(node.func.value, "id", "") == "messages"  # type: ignore[union-attr]
        if is_message or name in {"add_error", "ValidationError"}:
            given = node.args[1:] if name in {"add_error", "add_message"} else node.args  # first: field/level
            for arg in given:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                    found.append(f"{path.name}:{node.lineno} {name}({arg.value!r})")
    return found


@pytest.mark.parametrize("app", [a for a in present_apps() if a != "core"])
def test_python_gives_users_no_untranslated_literal(app):
    found = [literal for path in python_of(app) for literal in python_visible_literals(path)]

    assert found == []


def refusal_literals(path: Path) -> set[str]:
    """Messages given as plain literals (f-strings with ``{}`` for their fields) to an ApplicationError."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        call = node.exc if isinstance(node, ast.Raise) else None
        if not isinstance(call, ast.Call) or not call.args:
            continue
        name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
        arg = call.args[0]
        if name not in APPLICATION_ERRORS:
            continue
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            found.add(arg.value)
        elif isinstance(arg, ast.JoinedStr):
            found.add(
                "".join(
                    v.value if isinstance(v, ast.Constant) else ("{!r}" if v.conversion == ord("r") else "{}")
                    for v in arg.values
                )
            )
    return found


@pytest.mark.parametrize("app", [*APPS, *REFUSAL_APPS])  # saleor_app answers Saleor only: not checked
def test_refusals_people_read_are_translatable(app):
    """A new refusal in English only fails here: translate it, or list it above if nobody reads it."""
    untranslated = {}
    for path in python_of(app):
        where = str(path.relative_to(app_dir(app).parent))
        if left := sorted(refusal_literals(path) - INTERNAL_REFUSALS.get(where, set())):
            untranslated[where] = left

    assert untranslated == {}


@pytest.mark.parametrize("app", REFUSAL_APPS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_refusal_modules_strings_are_in_the_catalogue(app, language):
    po = catalogue(app, language)
    # Msgids are English and Django never falls back to Dutch for English: an empty English msgstr (some
    # of these apps' older entries) shows the msgid. Dutch must be translated.
    keys = (
        translated_keys(po)
        if language != "en"
        else {key(e) for e in po if not e.obsolete and "fuzzy" not in e.flags}
    )
    wanted = {
        msgid: path.name
        for path in python_of(app)
        if path.name in REFUSAL_MODULES
        for msgid in python_msgids(path)
    }

    assert {msgid: where for msgid, where in wanted.items() if msgid not in keys} == {}


@pytest.mark.parametrize("app", REFUSAL_APPS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_refusal_apps_compiled_catalogue_matches_its_source(app, language):
    test_compiled_catalogue_matches_its_source(app, language)
