"""Where search hits sit in their event's programme, said in the reader's language.

The index keeps each hit's programme label in English ("Day 2, 10:30, Panel"), as it keeps
every other text; the results page asks the programme again for the few hits and session
facet values it shows, which also gives the labels of a programme changed since indexing.
"""

from __future__ import annotations

from sqlalchemy import select

from archive.extensions import db
from archive.fulltext import SearchPage
from archive.models import Item, ProgrammeSession
from archive.programme.facts import facts_for, numbers_for
from archive.programme.timetable import session_label


def hit_places(page: SearchPage) -> dict[int, str]:
    """The programme label (a `Message`) of each shown deck and photo that has one."""
    ids = [g.item_id for g in page.groups if g.session_label]
    ids += [p.item_id for p in page.photos if p.session_label]
    if not ids:
        return {}
    items = db.session.scalars(select(Item).where(Item.id.in_(ids))).all()
    return {item_id: facts.session_label for item_id, facts in facts_for(items).items()}


def session_names(page: SearchPage) -> dict[str, str]:
    """The label (a `Message`) of each session in the session facet, by facet value."""
    ids = [int(v.value) for v in page.facets.get("session", ()) if v.value.isdigit()]
    if not ids:
        return {}
    sessions = db.session.scalars(
        select(ProgrammeSession).where(ProgrammeSession.id.in_(ids))
    ).all()
    numbers = numbers_for({s.event_id for s in sessions})
    return {str(s.id): session_label(s, numbers[s.event_id]) for s in sessions}
