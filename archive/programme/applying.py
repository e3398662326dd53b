"""Writing an imported programme into an event, all of it or nothing.

The draft is checked against the event (its days, talks inside their sessions, the named
decks) and every problem is reported before anything is written. The import then replaces
the event's programme, keeping the rows it can recognise: a session with the same day and
title, a talk with the same title in it. So a programme imported again (a spreadsheet
corrected and exported anew, `flask import` run twice) keeps the photos moved by hand into
its sessions and the decks attached by hand to talks whose row names no file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from archive.extensions import db
from archive.fulltext.messages import Message, first_message
from archive.models import Event, Presentation, ProgrammeSession, Talk, TalkDeck, TalkSpeaker
from archive.programme.clock import check_zone
from archive.programme.drafts import Problems, ProgrammeDraft, SessionDraft, TalkDraft
from archive.programme.finding import refresh_search_terms
from archive.programme.timetable import load_sessions

# file name in the draft -> deck id; raises ValueError saying why a name matches no deck
DeckResolver = Callable[[str], int]


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote."""

    sessions: int
    talks: int
    decks: int

    def __str__(self) -> str:
        return f"{self.sessions} sessions, {self.talks} talks, {self.decks} decks attached"

    @property
    def sentence(self) -> Message:
        """What a page says after the import (counts as values: no plural forms needed)."""
        return Message(
            "Programme imported. Sessions: %(sessions)s, talks: %(talks)s, decks attached: "
            "%(decks)s.",
            sessions=self.sessions,
            talks=self.talks,
            decks=self.decks,
        )


def decks_by_file_name(event: Event) -> DeckResolver:
    """Resolve a `file` by the original file name of one of the event's presentations."""
    rows = db.session.execute(
        select(Presentation.id, Presentation.original_filename).where(
            Presentation.event_id == event.id
        )
    ).all()
    by_name: dict[str, list[int]] = {}
    for item_id, name in rows:
        by_name.setdefault(name.casefold(), []).append(item_id)

    def resolve(file: str) -> int:
        name = file.replace("\\", "/").rsplit("/", 1)[-1].casefold()
        found = by_name.get(name, [])
        if not found:
            raise ValueError(
                Message(
                    "this event has no presentation named %(file)s: upload it first, "
                    "or leave the column empty and attach the deck later",
                    file=repr(file),
                )
            )
        if len(found) > 1:
            raise ValueError(
                Message(
                    "%(count)s presentations of this event are named %(file)s",
                    count=len(found),
                    file=repr(file),
                )
            )
        return found[0]

    return resolve


def check_draft(event: Event, draft: ProgrammeDraft, resolve: DeckResolver, source: str):
    """Every problem of the draft against this event; returns the resolved deck ids by
    (session index, talk index) when there are none."""
    problems = Problems(source)
    decks: dict[tuple[int, int], int] = {}
    first, last = event.start_date, event.end_date or event.start_date
    for s_index, session in enumerate(draft.sessions):
        day = session.starts_at.date()
        if first and last and not first <= day <= last:
            problems.add(
                session.where,
                "day" if session.where.startswith("row") else "start",
                Message(
                    "%(day)s is outside the event's dates (%(first)s to %(last)s)",
                    day=day,
                    first=first,
                    last=last,
                ),
            )
        if session.ends_at - session.starts_at > timedelta(days=1):
            problems.add(session.where, "end", Message("a session lasts at most a day"))
        for t_index, talk in enumerate(session.talks):
            check_talk(session, talk, problems)
            if talk.file:
                try:
                    decks[(s_index, t_index)] = resolve(talk.file)
                except ValueError as exc:
                    problems.add(talk.where, "file", first_message(exc))
    seen: dict[int, str] = {}
    for key, item_id in decks.items():
        talk = draft.sessions[key[0]].talks[key[1]]
        if item_id in seen:
            problems.add(
                talk.where,
                "file",
                Message("the same deck is already the file of %(where)s", where=seen[item_id]),
            )
        seen[item_id] = talk.where
    problems.check()
    return decks


def check_talk(session: SessionDraft, talk: TalkDraft, problems: Problems) -> None:
    if talk.starts_at is None:
        return
    if not session.starts_at <= talk.starts_at < session.ends_at:
        problems.add(
            talk.where,
            "start",
            Message(
                "%(time)s is outside its session (%(start)s–%(end)s)",
                time=f"{talk.starts_at:%H:%M}",
                start=f"{session.starts_at:%H:%M}",
                end=f"{session.ends_at:%H:%M}",
            ),
        )


def apply_draft(
    event: Event, draft: ProgrammeDraft, resolve: DeckResolver, source: str = "the programme"
) -> ImportSummary:
    """Check the draft, then make it the event's programme; the caller commits (or rolls
    back on ProgrammeImportError, though nothing was written then)."""
    if draft.timezone:
        check_zone(draft.timezone)
    decks = check_draft(event, draft, resolve, source)
    if draft.timezone:
        event.timezone = draft.timezone
    existing = {(s.starts_at.date(), s.title.casefold()): s for s in load_sessions(event)}
    talks = 0
    for s_index, session_draft in enumerate(draft.sessions):
        key = (session_draft.starts_at.date(), session_draft.title.casefold())
        session = existing.pop(key, None)
        if session is None:
            session = ProgrammeSession(event_id=event.id)
            db.session.add(session)
        fill_session(session, session_draft, s_index)
        db.session.flush()
        talk_decks = {t: item for (s, t), item in decks.items() if s == s_index}
        replace_talks(session, session_draft.talks, talk_decks)
        talks += len(session_draft.talks)
        refresh_search_terms(session)
    for session in existing.values():  # not in the file any more
        db.session.delete(session)
    db.session.flush()
    return ImportSummary(len(draft.sessions), talks, len(decks))


def fill_session(session: ProgrammeSession, draft: SessionDraft, position: int) -> None:
    session.title = draft.title
    session.starts_at, session.ends_at = draft.starts_at, draft.ends_at
    session.room = draft.room
    session.chairs = "; ".join(draft.chairs)
    session.tags = ", ".join(draft.tags)
    session.position = position


def replace_talks(session: ProgrammeSession, drafts: list[TalkDraft], decks: dict) -> None:
    """The session's talks become `drafts`; a talk of the same title keeps its row."""
    old = {t.title.casefold(): t for t in session.talks}
    talks = []
    for index, draft in enumerate(drafts):
        talk = old.pop(draft.title.casefold(), None) or Talk(title=draft.title)
        talk.title, talk.starts_at, talk.position = draft.title, draft.starts_at, index
        talk.speakers = [
            TalkSpeaker(position=n, name=s.name, organisation=s.organisation)
            for n, s in enumerate(draft.speakers)
        ]
        if index in decks:
            attach_only(talk, decks[index])
        talks.append(talk)
    session.talks = talks
    db.session.flush()


def attach_only(talk: Talk, item_id: int) -> None:
    """The talk's decks become this one deck, taken from any talk it was attached to."""
    current = db.session.get(TalkDeck, item_id)
    if current is not None and current.talk is not talk:
        current.talk.decks.remove(current)
        db.session.flush()
    talk.decks = [db.session.get(TalkDeck, item_id) or TalkDeck(item_id=item_id, position=0)]
