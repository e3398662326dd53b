"""The interface language: which one a request gets, the catalogues, and locale formats.

English is written in the code and templates; every other language is a gettext catalogue
`archive/translations/<code>/LC_MESSAGES/messages.po` (see docs/translating.md). A language
is offered as soon as its catalogue exists, so Azerbaijani needs a translated `az`
catalogue and nothing else.

The language of a request: the user's choice (saved in their profile, or in the session
before sign-in), else the browser's `Accept-Language`, else English.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from archive.extensions import babel
from archive.fileio import atomic_write

logger = logging.getLogger(__name__)

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DEFAULT_LOCALE = "en"
SESSION_KEY = "locale"
# Each language named in itself, as a language menu shows it.
NATIVE_NAMES = {"en": "English", "ru": "Русский", "az": "Azərbaycanca", "kk": "Қазақша"}
# Dates and numbers in English are written the British way ("25 July 2023"), as the
# archive always wrote them; other languages use their own CLDR conventions.
FORMAT_LOCALES = {"en": "en_GB"}


def init_app(app: Flask) -> None:
    compile_catalogues(TRANSLATIONS)
    app.config["LANGUAGES"] = available_locales()
    babel.init_app(
        app,
        default_locale=DEFAULT_LOCALE,
        default_translation_directories=str(TRANSLATIONS),
        locale_selector=select_locale,
    )
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
    app.context_processor(language_menu)


def available_locales(folder: Path = TRANSLATIONS) -> list[str]:
    """English and every language with a catalogue."""
    found = sorted(p.parent.parent.name for p in folder.glob("*/LC_MESSAGES/messages.po"))
    return [DEFAULT_LOCALE, *(code for code in found if code != DEFAULT_LOCALE)]


def compile_catalogues(folder: Path) -> list[Path]:
    """Compile each `.po` whose `.mo` is missing or older (the install step does it too;
    this keeps a fresh checkout working). Written atomically: workers may start together."""
    written = []
    for po in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalogue = read_po(fh, locale=po.parent.parent.name)
        buffer = _Buffer()
        write_mo(buffer, catalogue)
        try:
            atomic_write(mo, bytes(buffer.data), mode=0o644)
        except OSError as exc:
            raise SystemExit(
                f"cannot compile the translations into {mo}: {exc.strerror or exc}; "
                f"run `pybabel compile -d {folder}` as the owner of the folder"
            ) from exc
        logger.info("compiled %s", mo)
        written.append(mo)
    return written


class _Buffer:
    """What `write_mo` writes into (it only calls `write`)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        return len(chunk)


def select_locale() -> str:
    """The profile's language, else the one chosen in this session, else the browser's."""
    if not has_request_context():  # a command or a task: the default language
        return DEFAULT_LOCALE
    languages = current_app.config["LANGUAGES"]
    chosen = getattr(current_user, "locale", None) if current_user else None
    if chosen in languages:
        return chosen
    if session.get(SESSION_KEY) in languages:
        return session[SESSION_KEY]
    return request.accept_languages.best_match(languages) or DEFAULT_LOCALE


def language_menu() -> dict:
    """The language switcher on every page: each language in itself, the current one marked."""
    choices = [(code, NATIVE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]
    return {"languages": choices, "current_locale": current_language()}


def current_language() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def format_locale() -> str:
    language = current_language()
    return FORMAT_LOCALES.get(language, language)


def date_range(start: date | None, end: date | None = None) -> str:
    """An event's dates in the request's language: "25–26 July 2023", "25–26 июля 2023 г."."""
    if start is None:
        return ""
    locale = format_locale()
    end = end if end and end > start else start
    last = dates.format_date(end, "long", locale=locale)
    if end == start:
        return last
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{last}"
    if start.year == end.year:
        return f"{dates.format_date(start, 'd MMMM', locale=locale)} – {last}"
    return f"{dates.format_date(start, 'long', locale=locale)} – {last}"


def local_date(value: date | datetime | None, style: str = "medium") -> str:
    """A date in the request's language ("25 Jul 2023", "25 июл. 2023 г.")."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return dates.format_date(day, style, locale=format_locale())


def local_skeleton(value: date | datetime | None, skeleton: str = "MMMEd") -> str:
    """A day in the request's language by a CLDR skeleton, which each language orders and
    punctuates its own way: "MMMEd" is "Tue 25 Jul" or "вт, 25 июл.", "yMMMMEd" adds the
    year and full month."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return dates.format_skeleton(skeleton, day, locale=format_locale(), fuzzy=True)


def local_datetime(value: datetime | None, style: str = "medium") -> str:
    """A stored (UTC) time in the request's language, to the minute."""
    if value is None:
        return ""
    pattern = dates.get_date_format(style, locale=format_locale()).pattern + " HH:mm"
    return dates.format_datetime(value, pattern, tzinfo=None, locale=format_locale())


def local_number(value: int | float | None, pattern: str | None = None) -> str:
    """A number with the request's language's grouping and decimal sign ("1,234.5",
    "1 234,5"); `pattern` is a CLDR number pattern such as "#,##0.0"."""
    if value is None:
        return ""
    return _format_decimal(value, pattern, format_locale())


@lru_cache(maxsize=4096)
def _format_decimal(value: int | float, pattern: str | None, locale: str) -> str:
    # A results page formats every facet count (about 70): Babel parses the pattern and
    # looks the locale up each time, 6 ms a page in all; the answers never change.
    return numbers.format_decimal(value, pattern, locale=locale)


FILTERS = {
    "date_range": date_range,
    "local_date": local_date,
    "local_datetime": local_datetime,
    "local_skeleton": local_skeleton,
    "number": local_number,
}
