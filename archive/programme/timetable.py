"""The programme as a timetable: days, sessions with their talks, decks and photos, and the
photos outside the sessions, for one user's view of an event.

The caller passes the decks and photos this user may see (`permissions.item_filter`), so a
staff-only deck or photo never appears in a programme shown to others, while the sessions
and talks themselves are part of the event page and shown to whoever may see the event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.extensions import db
from archive.fulltext.messages import Message
from archive.models import Event, Photo, Presentation, ProgrammeSession, Talk
from archive.programme.clock import utc_offset_label, utc_to_local, zone_of
from archive.programme.placement import (
    AFTER,
    BEFORE,
    BETWEEN,
    GROUP_LABELS,
    IN_SESSION,
    UNDATED,
    Spot,
    rules_for,
)


@dataclass
class TalkView:
    talk: Talk
    decks: list[Presentation]  # attached and visible to this user


@dataclass
class SessionView:
    session: ProgrammeSession
    talks: list[TalkView]
    photos: list[Photo] = field(default_factory=list)


@dataclass
class PhotoGroup:
    """Photos outside the sessions, shown where they fall in the day."""

    group: str
    photos: list[Photo]
    day: date | None = None  # the local date when it differs from the day it is shown in

    @property
    def label(self) -> str:
        return GROUP_LABELS[self.group]


@dataclass
class DayView:
    day: date
    number: int
    entries: list[SessionView | PhotoGroup]

    @property
    def anchor(self) -> str:
        return f"day-{self.day.isoformat()}"


@dataclass
class Timetable:
    """Everything the timetable view and the programme API show for one user."""

    event: Event
    zone_name: str
    zone_label: str
    days: list[DayView]
    unplaced: dict[str, list[Photo]]  # BEFORE, BETWEEN, AFTER, UNDATED -> photos
    spots: dict[int, Spot]  # photo id -> where it went
    loose_decks: list[Presentation]  # visible decks attached to no talk

    @property
    def sessions(self) -> list[SessionView]:
        return [e for day in self.days for e in day.entries if isinstance(e, SessionView)]

    @property
    def undated(self) -> list[Photo]:
        return self.unplaced[UNDATED]


def load_sessions(event: Event) -> list[ProgrammeSession]:
    """The event's sessions in timetable order, with talks, speakers and decks loaded."""
    return list(
        db.session.scalars(
            select(ProgrammeSession)
            .where(ProgrammeSession.event_id == event.id)
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.position, ProgrammeSession.id)
            .options(
                selectinload(ProgrammeSession.talks).selectinload(Talk.speakers),
                selectinload(ProgrammeSession.talks).selectinload(Talk.decks),
            )
        )
    )


def has_programme(event: Event) -> bool:
    return (
        db.session.scalar(
            select(ProgrammeSession.id).where(ProgrammeSession.event_id == event.id).limit(1)
        )
        is not None
    )


def day_numbers(event: Event, days: list[date]) -> dict[date, int]:
    """Day 1 is the event's first day; without one (or before it), the first programme day."""
    start = event.start_date
    if start is not None and all(d >= start for d in days):
        return {d: (d - start).days + 1 for d in days}
    return {d: n for n, d in enumerate(sorted(set(days)), start=1)}


def build_timetable(event: Event, decks: list[Presentation], photos: list[Photo]) -> Timetable:
    """Arrange the visible decks and photos of `event` into its programme."""
    sessions = load_sessions(event)
    zone = zone_of(event.timezone)
    visible = {d.id: d for d in decks}
    views = {s.id: session_view(s, visible) for s in sessions}
    rules = rules_for(event)
    spots = {p.id: rules.spot(p) for p in photos}
    unplaced: dict[str, list[Photo]] = {BEFORE: [], BETWEEN: [], AFTER: [], UNDATED: []}
    between: dict[tuple[int, date], list[Photo]] = {}
    for photo in sorted(photos, key=lambda p: (spots[p.id].instant or datetime.max, p.id)):
        spot = spots[photo.id]
        if spot.group == IN_SESSION and spot.session_id in views:
            views[spot.session_id].photos.append(photo)
            continue
        group = spot.group if spot.group != IN_SESSION else UNDATED
        unplaced[group].append(photo)
        if group == BETWEEN:
            day = utc_to_local(spot.instant, zone).date()
            between.setdefault((spot.after_session_id, day), []).append(photo)
    attached = {link.item_id for s in sessions for t in s.talks for link in t.decks}
    first = sessions[0].starts_at if sessions else datetime.now()
    return Timetable(
        event=event,
        zone_name=event.timezone,
        zone_label=utc_offset_label(first, zone),
        days=arrange_days(event, sessions, views, unplaced, between),
        unplaced=unplaced,
        spots=spots,
        loose_decks=[d for d in decks if d.id not in attached],
    )


def session_view(session: ProgrammeSession, visible: dict[int, Presentation]) -> SessionView:
    talks = [
        TalkView(talk, [visible[link.item_id] for link in talk.decks if link.item_id in visible])
        for talk in session.talks
    ]
    return SessionView(session, talks)


def arrange_days(event, sessions, views, unplaced, between) -> list[DayView]:
    """Sessions by day, with the photos around them where they were taken."""
    dates = sorted({s.starts_at.date() for s in sessions})
    numbers = day_numbers(event, dates)
    days = {d: DayView(d, numbers[d], []) for d in dates}
    for session in sessions:
        day = days[session.starts_at.date()]
        day.entries.append(views[session.id])
        for (after_id, taken_day), photos in sorted(between.items(), key=lambda kv: kv[0][1]):
            if after_id != session.id:
                continue
            if taken_day in days and taken_day != day.day:
                days[taken_day].entries.insert(0, PhotoGroup(BETWEEN, photos))
            else:
                shown_day = None if taken_day == day.day else taken_day
                day.entries.append(PhotoGroup(BETWEEN, photos, shown_day))
    if dates and unplaced[BEFORE]:
        days[dates[0]].entries.insert(0, PhotoGroup(BEFORE, unplaced[BEFORE]))
    if dates and unplaced[AFTER]:
        days[dates[-1]].entries.append(PhotoGroup(AFTER, unplaced[AFTER]))
    return [days[d] for d in dates]


def session_label(
    session: ProgrammeSession, numbers: dict[date, int], talk: Talk | None = None
) -> str:
    """How a hit names its place in the programme: "Day 2, 10:30, Panel: digital identity"
    (a `Message`: English in the index, the reader's language on a page)."""
    start = (talk.starts_at if talk is not None else None) or session.starts_at
    number = numbers.get(session.starts_at.date())
    time = f"{start:%H:%M}"
    if number:
        return Message(
            "Day %(number)s, %(time)s, %(title)s", number=number, time=time, title=session.title
        )
    day = session.starts_at.date()
    return Message("%(day)s, %(time)s, %(title)s", day=day, time=time, title=session.title)
