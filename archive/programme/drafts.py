"""A programme read from a file, before it touches the database, and what was wrong with it.

Both import formats (`csvformat`, `tomlformat`) produce a `ProgrammeDraft`; `applying`
checks it against the event and writes it in one transaction. Every problem is collected
with where it is (row and column, or session and talk) so that organisers fix a file in
one round, and nothing is written while any problem remains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from archive.fulltext.messages import Message

SPEAKER_WITH_ORG = re.compile(r"^(?P<name>[^()]*?)\s*\((?P<org>[^()]*)\)\s*$")
LIST_SEPARATORS = re.compile(r"\s*[;\n]\s*")
MAX_TITLE = 500
MAX_NAME = 200
MAX_ORG = 300
MAX_ROOM = 200
THE_FILE = Message("the file")  # where a problem of the whole file is


class ProgrammeError(ValueError):
    """A programme change that cannot be saved; the message says what and why."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an imported file: where (row or entry), which column, what."""

    where: str  # "row 4", or "session 2, talk 1" (a Message, in English as a str)
    column: str
    message: str  # a Message too, so that pages show it in the reader's language

    def __str__(self) -> str:
        return str(self.sentence)

    @property
    def sentence(self) -> Message:
        # Rows of a CSV have columns; entries of an event.toml have fields.
        where, column, message = self.where, self.column, self.message
        if where.startswith("row"):
            return Message(
                "%(where)s, column %(column)s: %(message)s",
                where=where,
                column=column,
                message=message,
            )
        return Message(
            "%(where)s, field %(column)s: %(message)s", where=where, column=column, message=message
        )


class ProgrammeImportError(ProgrammeError):
    """A file that cannot be imported; `problems` lists every bad row and column."""

    def __init__(self, problems: list[Problem], source: str = "the programme"):
        self.problems = problems
        self.source = source
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{source}: nothing was imported: {shown}{more}")


@dataclass
class SpeakerDraft:
    name: str
    organisation: str = ""


@dataclass
class TalkDraft:
    title: str
    starts_at: datetime | None = None
    speakers: list[SpeakerDraft] = field(default_factory=list)
    file: str = ""  # the deck, by file name (or a path relative to an import folder)
    where: str = ""


@dataclass
class SessionDraft:
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str = ""
    chairs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    talks: list[TalkDraft] = field(default_factory=list)
    where: str = ""


@dataclass
class ProgrammeDraft:
    sessions: list[SessionDraft]
    timezone: str | None = None  # set by event.toml; None keeps the event's zone


class Problems:
    """Collects problems while a file is read; `check()` raises them all at the end."""

    def __init__(self, source: str):
        self.source = source
        self.found: list[Problem] = []

    def add(self, where: str, column: str, message: str) -> None:
        self.found.append(Problem(where, column, message))

    def check(self) -> None:
        if self.found:
            raise ProgrammeImportError(self.found, self.source)


def split_names(text: str) -> list[str]:
    """A list typed in one cell: separated by semicolons or new lines."""
    return [part for part in LIST_SEPARATORS.split((text or "").strip()) if part]


def parse_speakers(speakers: str | list, organisation: str = "") -> list[SpeakerDraft]:
    """Speakers as organisers write them: "A. Name (UN DESA); B. Name", with an organisation
    column that applies to everyone without one in brackets, or gives one per speaker."""
    entries = speakers if isinstance(speakers, list) else split_names(speakers)
    drafts = [speaker_draft(entry) for entry in entries]
    orgs = split_names(organisation)
    without = [d for d in drafts if not d.organisation]
    if len(orgs) == 1:
        for draft in without:
            draft.organisation = orgs[0]
    elif orgs and len(orgs) == len(drafts) and len(without) == len(drafts):
        for draft, org in zip(drafts, orgs, strict=True):
            draft.organisation = org
    elif orgs:
        raise ValueError(
            Message(
                "%(organisations)s organisations for %(speakers)s speakers: give one for all, "
                "or one per speaker in the same order (separated by ;), or write "
                "“Name (Organisation)”",
                organisations=len(orgs),
                speakers=len(drafts),
            )
        )
    for draft in drafts:
        check_length(draft.name, MAX_NAME, Message("a speaker's name"))
        check_length(draft.organisation, MAX_ORG, Message("an organisation"))
    return drafts


def speaker_draft(entry) -> SpeakerDraft:
    """One speaker: "Name (Organisation)", "Name", or a TOML table {name, organisation}."""
    if isinstance(entry, dict):
        name = str(entry.get("name", "")).strip()
        if not name:
            raise ValueError(Message("a speaker table needs a name"))
        return SpeakerDraft(name, str(entry.get("organisation", "")).strip())
    text = str(entry).strip()
    if match := SPEAKER_WITH_ORG.match(text):
        return SpeakerDraft(match.group("name").strip(), match.group("org").strip())
    if "(" in text or ")" in text:
        raise ValueError(
            Message("%(text)s: write a speaker as Name (Organisation)", text=repr(text))
        )
    return SpeakerDraft(text)


def check_length(text: str, limit: int, what: Message) -> str:
    if len(text) > limit:
        raise ValueError(
            Message("%(what)s is longer than %(limit)s characters", what=what, limit=limit)
        )
    return text


def speakers_text(speakers: list[SpeakerDraft]) -> str:
    """Speakers back as one line, the form the editing page shows and reads."""
    return "; ".join(f"{s.name} ({s.organisation})" if s.organisation else s.name for s in speakers)
