"""The interface in several languages: every string marked, every message translated, and
the language chosen from the profile, the session or the browser.

The marking checks read the sources, so a template or module added by another branch fails
here until its strings are marked and translated (see docs/translating.md).
"""

from __future__ import annotations

import ast
import html
import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import refresh
from jinja2 import Environment
from jinja2.ext import i18n

from archive.i18n import available_locales, compile_catalogues, date_range, local_number
from tests.conftest import csrf_token_from

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "archive" / "translations"
LANGUAGES = ("ru",)
# Attributes whose values people read (or hear); their literal text must be marked too.
READ_ATTRIBUTES = re.compile(
    r"""\b(alt|title|placeholder|aria-label|aria-description|data-[a-z-]*label)\s*=\s*"([^"]*)\"""",
    re.I,
)
TAG = re.compile(r"<[^>]*>", re.S)
COMMENT = re.compile(r"<!--.*?-->", re.S)
# Literal text allowed in templates: letterless marks, and names that are never translated.
ALLOWED_WORDS = {"PDF", "IMG", "UTC", "ZIP", "API", "doctype", "html"}


def unmarked_strings(source: str) -> list[str]:
    """Human-readable text of a Jinja template that is outside `_()`/`{% trans %}`.

    The template's literal HTML is put together with a placeholder where each expression,
    statement and translated block was, then tags are read for their read attributes and
    the text between tags for words."""
    env = Environment(extensions=[i18n], autoescape=True)
    skeleton: list[str] = []
    in_trans = 0
    after_block = False
    for _line, kind, value in env.lex(source):
        if kind == "whitespace" and after_block:
            continue
        if kind == "name" and after_block:
            in_trans += {"trans": 1, "endtrans": -1}.get(value, 0)
        after_block = kind == "block_begin"
        skeleton.append(value if kind == "data" and not in_trans else "\x00")
    text = COMMENT.sub(" ", "".join(skeleton))
    found = []
    for tag in TAG.findall(text):
        for _name, attribute in READ_ATTRIBUTES.findall(tag):
            found += words_in(attribute)
    return found + words_in(TAG.sub(" ", text))


def words_in(text: str) -> list[str]:
    words = re.findall(r"[^\W\d_][\w'’-]*", html.unescape(text))
    return [w for w in words if w not in ALLOWED_WORDS and "\x00" not in w]


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))
)
def test_every_template_string_is_marked_for_translation(template):
    assert unmarked_strings((TEMPLATES / template).read_text(encoding="utf-8")) == []


def test_the_template_check_finds_unmarked_text_and_attributes():
    source = """<h1>{{ _('Fine') }}</h1><p>Plain words</p>{% trans %}Marked too{% endtrans %}
    <img alt="A picture" src="x.png"><input placeholder="{{ _('ok') }}"> PDF · 12 →"""
    assert unmarked_strings(source) == ["A", "picture", "Plain", "words"]


def source_messages() -> dict:
    """Every message the sources mark, extracted as `pybabel extract -F babel.cfg` does."""
    method_map = [("archive/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "lazy_gettext": None,
        "_l": None,
        "Message": None,
    }
    messages = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords
    ):
        if filename.startswith(("archive/", "templates/")):
            messages[message] = filename
    return messages


@pytest.fixture(scope="module")
def extracted():
    return source_messages()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_translation(extracted, language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale=language)
    missing, fuzzy, broken = [], [], []
    for message, filename in extracted.items():
        entry = catalogue.get(message)
        strings = entry.string if entry else None
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or not all(strings):
            missing.append(f"{filename}: {message!r}")
        elif entry.fuzzy:
            fuzzy.append(message)
        elif placeholders(message) != set().union(*(placeholders(s) for s in strings)):
            broken.append(message)
    assert missing == [], f"run `pybabel update` and translate (docs/translating.md), {language}"
    assert fuzzy == [] and broken == []


def placeholders(text) -> set[str]:
    texts = text if isinstance(text, tuple) else (text,)
    return {name for t in texts for name in re.findall(r"%\((\w+)\)", t)}


MESSAGE_FUNCTIONS = {"gettext", "ngettext", "lazy_gettext", "_l", "_", "str", "sentence"}


def python_sources():
    return sorted((ROOT / "archive").rglob("*.py"))


def test_flash_messages_are_marked_for_translation():
    unmarked = []
    for path in python_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "flash":
                first = node.args[0]
                called = isinstance(first, ast.Call) and getattr(first.func, "id", "")
                if called not in MESSAGE_FUNCTIONS:
                    unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert unmarked == []


def test_form_labels_and_messages_are_marked_for_translation():
    unmarked = []
    for path in python_sources():
        if not path.name.endswith("forms.py"):  # forms.py, programme_forms.py, ...
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", "") or getattr(node.func, "attr", "")
            literal = [a for a in node.args[:1] if isinstance(a, ast.Constant)]
            literal += [
                k.value
                for k in node.keywords
                if k.arg in ("label", "description", "message")
                and isinstance(k.value, ast.Constant)
            ]
            if (name.endswith("Field") or name == "ValidationError") and any(
                isinstance(c.value, str) and c.value for c in literal
            ):
                unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert unmarked == []


# --------------------------------------------------------------------------- choosing


def test_the_browser_language_applies_before_sign_in(client):
    page = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    text = page.data.decode()
    assert '<html lang="ru">' in text and "Войти" in text
    english = client.get("/login", headers={"Accept-Language": "de,en;q=0.5"}).data.decode()
    assert '<html lang="en">' in english and "Sign in" in english


def test_the_switch_works_before_sign_in_and_keeps_the_page(client):
    token = csrf_token_from(client.get("/login").data)
    answer = client.post(
        "/language", data={"locale": "ru", "next": "/login?next=/events/", "csrf_token": token}
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/login?next=/events/"
    assert "Войти" in client.get("/login", headers={"Accept-Language": "en"}).data.decode()


def test_the_profile_language_wins_and_follows_the_person(app, client, login_as):
    user = login_as("researcher")
    client.post("/language", data={"locale": "ru", "next": "/"})
    assert user.locale == "ru"
    other = app.test_client()  # another browser, asking for English
    other.post("/login", data={"username": user.username, "password": "correct horse battery"})
    page = other.get("/events/", headers={"Accept-Language": "en"}).data.decode()
    assert "<h1>Мероприятия</h1>" in page
    other.post("/language", data={"locale": "", "next": "/"})  # automatic again
    assert user.locale is None
    assert (
        "<h1>Events</h1>" in other.get("/events/", headers={"Accept-Language": "en"}).data.decode()
    )


@pytest.mark.parametrize("value", ["xx", "../etc", None])
def test_an_unknown_language_is_refused(client, value):
    data = {"next": "/"} if value is None else {"locale": value, "next": "/"}
    assert client.post("/language", data=data).status_code == 400


def test_the_switch_never_redirects_off_the_site(client):
    answer = client.post("/language", data={"locale": "en", "next": "https://evil.example/"})
    assert answer.headers["Location"] == "/"


def test_flash_messages_form_errors_and_search_notices_are_translated(client, login_as):
    login_as("staff")
    client.post("/language", data={"locale": "ru", "next": "/"})
    form = client.post("/events/new", data={"title": ""}).data.decode()
    assert "Обязательное поле" in form  # WTForms' own catalogue, through Flask-Babel
    assert "Название" in form and 'aria-invalid="true"' in form
    client.post("/events/new", data={"title": "Семинар", "slug": "seminar"})
    assert "Мероприятие «Семинар» создано." in client.get("/events/seminar").data.decode()
    results = client.get("/search/?q=year:abc").data.decode()
    assert "«year:abc» не является годом (например, year:2023), поэтому искалось" in results
    assert "Как искать" in results and "точная фраза" in results


def test_dates_and_numbers_follow_the_language(app):
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert date_range(date(2023, 7, 25), date(2023, 7, 26)) == "25–26 июля 2023\u202fг."
        assert date_range(date(2023, 7, 25), date(2023, 8, 2)) == "25 июля – 2 августа 2023\u202fг."
        assert local_number(1234567) == "1\xa0234\xa0567"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()  # the app fixture's context outlives one request: forget the cached locale
        assert date_range(date(2023, 7, 25), date(2023, 7, 26)) == "25–26 July 2023"
        assert date_range(date(2023, 7, 25)) == "25 July 2023"
        assert local_number(1234567) == "1,234,567"


def test_a_new_catalogue_is_offered_and_compiled(tmp_path):
    folder = tmp_path / "translations"
    po = folder / "az" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Language: az\\n"\n\nmsgid "Search"\nmsgstr "Axtarış"\n')
    assert available_locales(folder) == ["en", "az"]
    assert compile_catalogues(folder) == [po.with_suffix(".mo")]
    assert compile_catalogues(folder) == []  # fresh: nothing to do
