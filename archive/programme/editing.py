"""Building a programme by hand: sessions and talks added, changed, reordered and deleted,
decks attached to talks. Operations flush; the view commits, audits and re-indexes the
event (a deck's session and a photo's placement are part of its search documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from archive.extensions import db
from archive.fulltext.messages import Message, first_message
from archive.models import Event, Presentation, ProgrammeSession, Talk, TalkDeck, TalkSpeaker
from archive.programme.drafts import (
    MAX_ROOM,
    MAX_TITLE,
    ProgrammeError,
    parse_speakers,
    split_names,
)
from archive.programme.finding import refresh_search_terms

UP, DOWN = "up", "down"


@dataclass
class SessionFields:
    title: str
    day: date
    start: time
    end: time
    room: str = ""
    chairs: str = ""
    tags: str = ""


@dataclass
class TalkFields:
    title: str
    start: time | None = None
    speakers: str = ""  # "Name (Organisation); Name"


def check_session_fields(event: Event, fields: SessionFields) -> tuple[datetime, datetime]:
    """The session's local start and end; ProgrammeError says what is wrong."""
    if not fields.title.strip():
        raise ProgrammeError(Message("a session needs a title"))
    if len(fields.title.strip()) > MAX_TITLE or len(fields.room.strip()) > MAX_ROOM:
        raise ProgrammeError(
            Message("the title or room is too long (at most %(limit)s characters)", limit=MAX_TITLE)
        )
    first, last = event.start_date, event.end_date or event.start_date
    if first and last and not first <= fields.day <= last:
        raise ProgrammeError(
            Message(
                "%(day)s is outside the event's dates (%(first)s to %(last)s)",
                day=fields.day,
                first=first,
                last=last,
            )
        )
    if fields.end <= fields.start:
        raise ProgrammeError(Message("the session must end after it starts"))
    return datetime.combine(fields.day, fields.start), datetime.combine(fields.day, fields.end)


def create_session(event: Event, fields: SessionFields) -> ProgrammeSession:
    starts_at, ends_at = check_session_fields(event, fields)
    session = ProgrammeSession(event_id=event.id, starts_at=starts_at, ends_at=ends_at)
    session.position = next_position(event, starts_at)
    fill_session(session, fields)
    db.session.add(session)
    db.session.flush()
    return session


def update_session(session: ProgrammeSession, fields: SessionFields) -> None:
    """Change a session; its talks move with it when its start moves."""
    starts_at, ends_at = check_session_fields(session.event, fields)
    shift_talks(session, starts_at - session.starts_at)
    session.starts_at, session.ends_at = starts_at, ends_at
    fill_session(session, fields)
    check_talks_inside(session)
    db.session.flush()


def fill_session(session: ProgrammeSession, fields: SessionFields) -> None:
    session.title = fields.title.strip()
    session.room = fields.room.strip()
    session.chairs = "; ".join(split_names(fields.chairs))
    session.tags = ", ".join(t.strip() for t in fields.tags.split(",") if t.strip())
    refresh_search_terms(session)


def next_position(event: Event, starts_at: datetime) -> int:
    count = db.session.scalar(
        select(func.count())
        .select_from(ProgrammeSession)
        .where(ProgrammeSession.event_id == event.id, ProgrammeSession.starts_at == starts_at)
    )
    return int(count or 0)


def shift_talks(session: ProgrammeSession, delta: timedelta) -> None:
    for talk in session.talks:
        if talk.starts_at is not None:
            talk.starts_at += delta


def check_talks_inside(session: ProgrammeSession) -> None:
    for talk in session.talks:
        if talk.starts_at is not None and not (
            session.starts_at <= talk.starts_at < session.ends_at
        ):
            raise ProgrammeError(
                Message(
                    "the talk “%(title)s” at %(time)s would fall outside the session: "
                    "change its time first",
                    title=talk.title,
                    time=f"{talk.starts_at:%H:%M}",
                )
            )


def delete_session(session: ProgrammeSession) -> None:
    """Delete a session with its talks; its decks stay in the event, its photos go back to
    placement by time."""
    db.session.delete(session)
    db.session.flush()


def ordered_sessions(event: Event) -> list[ProgrammeSession]:
    return list(
        db.session.scalars(
            select(ProgrammeSession)
            .where(ProgrammeSession.event_id == event.id)
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.position, ProgrammeSession.id)
        )
    )


def move_session(session: ProgrammeSession, direction: str) -> bool:
    """Swap a session with its neighbour on the same day. Sessions starting together swap
    their order; otherwise they swap their time slots (talks move along). False at an end."""
    day = [
        s for s in ordered_sessions(session.event) if s.starts_at.date() == session.starts_at.date()
    ]
    index = day.index(session)
    other_index = index - 1 if direction == UP else index + 1
    if not 0 <= other_index < len(day):
        return False
    other = day[other_index]
    if other.starts_at == session.starts_at:
        session.position, other.position = other.position, session.position
        if session.position == other.position:
            session.position, other.position = other_index, index
    else:
        first, second = (other, session) if direction == UP else (session, other)
        first_slot = (first.starts_at, first.ends_at)
        second_slot = (second.starts_at, second.ends_at)
        shift_talks(first, second_slot[0] - first_slot[0])
        shift_talks(second, first_slot[0] - second_slot[0])
        first.starts_at, first.ends_at = second_slot
        second.starts_at, second.ends_at = first_slot
        check_talks_inside(first)
        check_talks_inside(second)
    db.session.flush()
    return True


# talks


def check_talk_fields(session: ProgrammeSession, fields: TalkFields) -> datetime | None:
    if not fields.title.strip():
        raise ProgrammeError(Message("a talk needs a title"))
    if len(fields.title.strip()) > MAX_TITLE:
        raise ProgrammeError(
            Message("the title is longer than %(limit)s characters", limit=MAX_TITLE)
        )
    if fields.start is None:
        return None
    starts_at = datetime.combine(session.starts_at.date(), fields.start)
    if not session.starts_at <= starts_at < session.ends_at:
        raise ProgrammeError(
            Message(
                "%(time)s is outside the session (%(start)s–%(end)s)",
                time=f"{fields.start:%H:%M}",
                start=f"{session.starts_at:%H:%M}",
                end=f"{session.ends_at:%H:%M}",
            )
        )
    return starts_at


def speakers_from(text: str) -> list[TalkSpeaker]:
    try:
        drafts = parse_speakers(text)
    except ValueError as exc:
        raise ProgrammeError(Message("speakers: %(reason)s", reason=first_message(exc))) from None
    return [
        TalkSpeaker(position=n, name=d.name, organisation=d.organisation)
        for n, d in enumerate(drafts)
    ]


def create_talk(session: ProgrammeSession, fields: TalkFields) -> Talk:
    starts_at = check_talk_fields(session, fields)
    talk = Talk(title=fields.title.strip(), starts_at=starts_at, position=len(session.talks))
    talk.speakers = speakers_from(fields.speakers)
    session.talks.append(talk)
    order_talks(session)
    refresh_search_terms(session)
    db.session.flush()
    return talk


def update_talk(talk: Talk, fields: TalkFields) -> None:
    talk.starts_at = check_talk_fields(talk.session, fields)
    talk.title = fields.title.strip()
    talk.speakers = speakers_from(fields.speakers)
    order_talks(talk.session)
    refresh_search_terms(talk.session)
    db.session.flush()


def order_talks(session: ProgrammeSession) -> None:
    """Talks with times follow their times; talks without keep their place among them."""
    timed = sorted((t for t in session.talks if t.starts_at), key=lambda t: t.starts_at)
    slots = iter(timed)
    ordered = [next(slots) if t.starts_at else t for t in session.talks]
    for position, talk in enumerate(ordered):
        talk.position = position
    session.talks.sort(key=lambda t: t.position)


def delete_talk(talk: Talk) -> None:
    session = talk.session
    session.talks.remove(talk)
    for position, other in enumerate(session.talks):
        other.position = position
    refresh_search_terms(session)
    db.session.flush()


def move_talk(talk: Talk, direction: str) -> bool:
    """Swap a talk with its neighbour; when both have times, they swap times too, so the
    timetable's slots stay where they were. False at an end."""
    talks = list(talk.session.talks)
    index = talks.index(talk)
    other_index = index - 1 if direction == UP else index + 1
    if not 0 <= other_index < len(talks):
        return False
    other = talks[other_index]
    if talk.starts_at and other.starts_at:
        talk.starts_at, other.starts_at = other.starts_at, talk.starts_at
    talk.position, other.position = other_index, index
    talk.session.talks.sort(key=lambda t: t.position)
    db.session.flush()
    return True


# decks


def attachable_decks(event: Event, talk: Talk) -> list[tuple[Presentation, Talk | None]]:
    """The event's decks not attached to this talk, each with the talk it is attached to
    now (attaching takes it from there): unattached ones first."""
    own = select(TalkDeck.item_id).where(TalkDeck.talk_id == talk.id)
    decks = db.session.scalars(
        select(Presentation)
        .where(Presentation.event_id == event.id, Presentation.id.not_in(own))
        .order_by(Presentation.title, Presentation.id)
    ).all()
    links = {
        link.item_id: link.talk
        for link in db.session.scalars(
            select(TalkDeck).where(TalkDeck.item_id.in_([d.id for d in decks]))
        )
    }
    pairs = [(deck, links.get(deck.id)) for deck in decks]
    return sorted(pairs, key=lambda pair: pair[1] is not None)


def attach_deck(talk: Talk, deck: Presentation) -> None:
    """Attach a deck of the talk's event to it (taking it from another talk if needed)."""
    if deck.event_id != talk.session.event_id:
        raise ProgrammeError(Message("that presentation belongs to another event"))
    link = db.session.get(TalkDeck, deck.id)
    if link is not None and link.talk_id == talk.id:
        return
    if link is not None:
        db.session.delete(link)
        db.session.flush()
    talk.decks.append(TalkDeck(item_id=deck.id, position=len(talk.decks)))
    db.session.flush()


def detach_deck(talk: Talk, deck_id: int) -> bool:
    link = db.session.get(TalkDeck, deck_id)
    if link is None or link.talk_id != talk.id:
        return False
    talk.decks.remove(link)
    db.session.flush()
    return True
