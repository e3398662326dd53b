"""Sentences the search library shows to people, in a shape the application can translate.

The library imports no translation machinery: a `Message` is the English text (a `str`, so
it reads and joins like one) that also keeps its template and values, and the application
translates `message.template` and fills in `message.params` (translating nested messages).
`pybabel extract` finds the templates through the `Message` keyword (see babel.cfg).
A date among the values reads "25 July 2023" in the English text; the application writes
it the way the reader's language does.
"""

from __future__ import annotations

from datetime import date


class Message(str):
    """English text with its template (`%(name)s` fields) and the values filled in."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, **params: object) -> Message:
        text = template % {k: _english(v) for k, v in params.items()} if params else template
        message = super().__new__(cls, text)
        message.template = template
        message.params = params
        return message


def first_message(error: Exception) -> Message:
    """The message an error was raised with (plain text becomes an untranslated message)."""
    argument = error.args[0] if error.args else str(error)
    return argument if isinstance(argument, Message) else Message("%(text)s", text=argument)


def _english(value: object) -> str:
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"  # %B is English: the C locale, as everywhere here
    return str(value)
