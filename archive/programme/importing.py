"""Importing a programme file uploaded on the web or through the API: a CSV (one row per
talk) or an event.toml with `[[sessions]]`, told apart by name and content. Decks are named
by their file names among the event's presentations."""

from __future__ import annotations

import tomllib

from archive.fulltext.messages import Message
from archive.models import Event
from archive.programme.applying import DeckResolver, ImportSummary, apply_draft, decks_by_file_name
from archive.programme.csvformat import read_csv
from archive.programme.drafts import THE_FILE, Problem, ProgrammeDraft, ProgrammeImportError
from archive.programme.tomlformat import has_sessions, read_toml

MAX_BYTES = 5 * 1024 * 1024


def import_programme(
    event: Event, data: bytes, filename: str = "", resolve: DeckResolver | None = None
) -> ImportSummary:
    """Make the file the event's programme, or raise ProgrammeImportError with every problem
    (nothing written then). The caller commits and re-indexes the event."""
    source = filename or "the programme file"
    draft = read_programme(event, data, filename, source)
    return apply_draft(event, draft, resolve or decks_by_file_name(event), source)


def read_programme(event: Event, data: bytes, filename: str, source: str) -> ProgrammeDraft:
    if len(data) > MAX_BYTES:
        fail(
            source,
            "size",
            Message("a programme file is at most %(size)s MB", size=MAX_BYTES // (1024 * 1024)),
        )
    if not looks_like_toml(filename, data):
        return read_csv(data, event.start_date, source)
    try:
        parsed = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        fail(source, "encoding", Message("the file is not UTF-8 text"))
    except tomllib.TOMLDecodeError as exc:
        fail(source, "syntax", Message("not valid TOML (%(reason)s)", reason=str(exc)))
    if not has_sessions(parsed):
        fail(source, "sessions", Message("the file has no [[sessions]]"))
    return read_toml(parsed, event.timezone, source)


def looks_like_toml(filename: str, data: bytes) -> bool:
    """By the name, or by a `[[sessions]]` table in a file named otherwise."""
    name = filename.lower()
    if name.endswith(".toml"):
        return True
    if name.endswith((".csv", ".txt", ".tsv")):
        return False
    return b"[[sessions]]" in data


def fail(source: str, column: str, message: Message):
    raise ProgrammeImportError([Problem(THE_FILE, column, message)], source)
