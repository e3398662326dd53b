"""What the programme tells the search index about items: the session a deck's talk is in
or a photo was placed into, a label such as "Day 2, 10:30, Panel: digital identity", and
the talk's and session's words (titles, speakers, organisations, room, chairs).

Computed for a batch of items at once (one placement per event), so that indexing an
event's thousand photos places them once, not a thousand times.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.extensions import db
from archive.models import Event, Item, Photo, ProgrammeSession, Talk, TalkDeck
from archive.programme.placement import IN_SESSION, rules_for
from archive.programme.timetable import day_numbers, session_label


@dataclass(frozen=True)
class ProgrammeFacts:
    """An item's place in its event's programme, for its search documents."""

    session_id: int | None = None
    session_label: str = ""
    text: str = ""  # titles, room, chairs, speakers and organisations, one per line
    speakers: tuple[str, ...] = ()  # the talk's speakers, added to the deck's own
    organisations: tuple[str, ...] = ()


NO_FACTS = ProgrammeFacts()


def facts_for(items: Iterable[Item]) -> dict[int, ProgrammeFacts]:
    """Facts of every item in the programme; items outside it are left out."""
    items = list(items)
    facts = deck_facts([i.id for i in items if not isinstance(i, Photo)])
    by_event: dict[int, list[Photo]] = {}
    for item in items:
        if isinstance(item, Photo):
            by_event.setdefault(item.event_id, []).append(item)
    for event_id, photos in by_event.items():
        facts.update(photo_facts(db.session.get(Event, event_id), photos))
    return facts


def deck_facts(item_ids: list[int]) -> dict[int, ProgrammeFacts]:
    if not item_ids:
        return {}
    links = db.session.scalars(
        select(TalkDeck)
        .where(TalkDeck.item_id.in_(item_ids))
        .options(
            selectinload(TalkDeck.talk).selectinload(Talk.speakers),
            selectinload(TalkDeck.talk).selectinload(Talk.session),
        )
    ).all()
    numbers = numbers_for({link.talk.session.event_id for link in links})
    facts = {}
    for link in links:
        talk, session = link.talk, link.talk.session
        label = session_label(session, numbers[session.event_id], talk)
        facts[link.item_id] = ProgrammeFacts(
            session_id=session.id,
            session_label=label,
            text="\n".join([talk.title, *session_words(session)]),
            speakers=tuple(s.name for s in talk.speakers),
            organisations=tuple(s.organisation for s in talk.speakers if s.organisation),
        )
    return facts


def photo_facts(event: Event, photos: list[Photo]) -> dict[int, ProgrammeFacts]:
    rules = rules_for(event)
    spots = {p.id: rules.spot(p) for p in photos}
    ids = {s.session_id for s in spots.values() if s.group == IN_SESSION}
    if not ids:
        return {}
    sessions = {
        s.id: s
        for s in db.session.scalars(select(ProgrammeSession).where(ProgrammeSession.id.in_(ids)))
    }
    numbers = numbers_for({event.id})[event.id]
    facts = {}
    for photo_id, spot in spots.items():
        session = sessions.get(spot.session_id) if spot.group == IN_SESSION else None
        if session is not None:
            facts[photo_id] = ProgrammeFacts(
                session_id=session.id,
                session_label=session_label(session, numbers),
                text="\n".join(session_words(session)),
            )
    return facts


def session_words(session: ProgrammeSession) -> list[str]:
    return [session.title, session.room, *session.chair_list]


def numbers_for(event_ids: set[int]) -> dict[int, dict]:
    """Day numbers of the programme days of each event."""
    numbers = {}
    for event_id in event_ids:
        event = db.session.get(Event, event_id)
        days = db.session.scalars(
            select(ProgrammeSession.starts_at).where(ProgrammeSession.event_id == event_id)
        ).all()
        numbers[event_id] = day_numbers(event, [d.date() for d in days])
    return numbers
