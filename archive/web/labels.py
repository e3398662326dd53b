"""Names of the archive's vocabulary in the request's language: states, roles, visibility,
item kinds and content languages. One place, so that every page says the same words."""

from __future__ import annotations

from datetime import date

from babel import Locale, UnknownLocaleError
from flask import Flask
from flask_babel import gettext, lazy_gettext

from archive.fulltext import Message
from archive.i18n import format_locale, local_date
from archive.models import ItemKind, ItemState, Role, Visibility

STATE_NAMES = {
    ItemState.QUEUED: lazy_gettext("queued"),
    ItemState.PROCESSING: lazy_gettext("processing"),
    ItemState.READY: lazy_gettext("ready"),
    ItemState.FAILED: lazy_gettext("failed"),
}
ROLE_NAMES = {
    Role.ADMIN: lazy_gettext("Admin"),
    Role.STAFF: lazy_gettext("Staff"),
    Role.RESEARCHER: lazy_gettext("Researcher"),
    Role.PARTNER: lazy_gettext("Partner"),
}
VISIBILITY_NAMES = {
    Visibility.SHARED: lazy_gettext("Shared (researchers, and partners of granted events)"),
    Visibility.STAFF: lazy_gettext("Staff only"),
}
KIND_NAMES = {
    ItemKind.PRESENTATION: lazy_gettext("Presentation"),
    ItemKind.PHOTO: lazy_gettext("Photo"),
}
# What `ShareLink.state()` answers, as the list of share links shows it.
LINK_STATE_NAMES = {
    "active": lazy_gettext("active"),
    "revoked": lazy_gettext("revoked"),
    "expired": lazy_gettext("expired"),
    "used up": lazy_gettext("used up"),
}


def init_app(app: Flask) -> None:
    app.context_processor(vocabulary)
    app.add_template_filter(translate)
    app.add_template_filter(language_name)
    app.add_template_filter(state_name)


def state_name(state: str) -> str:
    """An item state in the request's language."""
    return STATE_NAMES.get(state, state)


def vocabulary() -> dict:
    return {
        "state_names": STATE_NAMES,
        "role_names": ROLE_NAMES,
        "visibility_names": VISIBILITY_NAMES,
        "kind_names": KIND_NAMES,
        "link_state_names": LINK_STATE_NAMES,
    }


def translate(message) -> str:
    """A `Message` (of the search library or a service) in the request's language, nested
    messages and dates among its values too; anything else as it is."""
    if isinstance(message, date):
        return local_date(message, "long")
    if not isinstance(message, Message):
        return message
    params = {name: translate(value) for name, value in message.params.items()}
    return gettext(message.template, **params)


def language_name(code: str | None) -> str:
    """A content language's name in the request's language, from CLDR ("ru" -> "Russian",
    "русский"); the code itself when CLDR does not know it."""
    if not code:
        return ""
    try:
        name = Locale.parse(format_locale()).languages.get(code.split("-")[0].lower())
    except (ValueError, UnknownLocaleError):
        name = None
    return name[:1].upper() + name[1:] if name else code
