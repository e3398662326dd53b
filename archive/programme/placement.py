"""Photos placed into the programme by the time they were taken.

A photo's instant is its EXIF capture time read with the UTC offset the camera recorded, or
else in the event's time zone, plus the clock correction staff set for its camera at this
event. The session whose span holds the instant gets the photo (among parallel sessions the
one that started last, then the first in order); photos outside every session are "before",
"between" or "after" the sessions, and photos without a capture time stay "undated". A
photo moved by hand (`PhotoPlacement`) stays where it was put.

Placement is computed when asked, from the stored facts, never stored: a corrected clock,
a moved session or a new time zone shows at once, on every page and in the API, and photos
stored before this feature are placed without reprocessing.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from archive.extensions import db
from archive.fulltext.messages import Message
from archive.models import CameraOffset, Event, Photo, PhotoPlacement, ProgrammeSession, User
from archive.programme.clock import local_to_utc, utc_to_local, zone_of
from archive.programme.drafts import ProgrammeError

IN_SESSION, BEFORE, BETWEEN, AFTER, UNDATED = "session", "before", "between", "after", "undated"
UNPLACED_GROUPS = (BEFORE, BETWEEN, AFTER, UNDATED)
GROUP_LABELS = {
    BEFORE: Message("Before the sessions"),
    BETWEEN: Message("Between sessions"),
    AFTER: Message("After the sessions"),
    UNDATED: Message("Without a capture time"),
}


@dataclass(frozen=True, order=True)
class CameraKey:
    """A camera as EXIF names it; two bodies of one model differ by serial."""

    make: str = ""
    model: str = ""
    serial: str = ""

    @property
    def label(self) -> str:
        """The camera's name (a `Message` where words are the archive's, to translate)."""
        name = " ".join(p for p in (self.make, self.model) if p) or Message("Unknown camera")
        if self.serial:
            return Message("%(camera)s (serial %(serial)s)", camera=name, serial=self.serial)
        return name


def camera_key(photo: Photo) -> CameraKey:
    return CameraKey(photo.camera_make or "", photo.camera_model or "", photo.camera_serial or "")


@dataclass(frozen=True)
class Span:
    """A session's time span as UTC instants, for comparing with photos."""

    session_id: int
    start: datetime
    end: datetime
    order: tuple  # (local start, position, id): the timetable's order


@dataclass(frozen=True)
class Spot:
    """Where one photo goes: a session, or one of the unplaced groups."""

    group: str
    session_id: int | None = None
    after_session_id: int | None = None  # for BETWEEN: the session it follows
    manual: bool = False
    instant: datetime | None = None  # corrected capture instant, naive UTC

    @property
    def key(self) -> tuple:
        return (self.group, self.session_id)


@dataclass
class PlacementRules:
    """What placing an event's photos needs: its zone, sessions, clock fixes, manual moves."""

    zone: ZoneInfo
    spans: list[Span]
    offsets: dict[CameraKey, int] = field(default_factory=dict)
    manual: dict[int, int] = field(default_factory=dict)  # photo id -> session id

    def __post_init__(self):
        self.spans.sort(key=lambda s: s.start)
        self.starts = [s.start for s in self.spans]
        self.last_end = max((s.end for s in self.spans), default=None)

    def instant(self, photo: Photo, offsets: dict[CameraKey, int] | None = None):
        """The photo's corrected capture instant (naive UTC), or None without a capture time."""
        if photo.taken_at is None:
            return None
        if photo.taken_offset_minutes is not None:
            instant = photo.taken_at - timedelta(minutes=photo.taken_offset_minutes)
        else:
            instant = local_to_utc(photo.taken_at, self.zone)
        fix = (self.offsets if offsets is None else offsets).get(camera_key(photo), 0)
        return instant + timedelta(seconds=fix)

    def spot(self, photo: Photo, offsets: dict[CameraKey, int] | None = None) -> Spot:
        instant = self.instant(photo, offsets)
        if photo.id in self.manual:
            return Spot(IN_SESSION, self.manual[photo.id], manual=True, instant=instant)
        return self.spot_at(instant)

    def spot_at(self, instant: datetime | None) -> Spot:
        """The session holding `instant`, or the group around the sessions it falls in."""
        if instant is None:
            return Spot(UNDATED)
        started = self.spans[: bisect.bisect_right(self.starts, instant)]
        holding = [s for s in started if instant < s.end]
        if holding:
            best = max(holding, key=lambda s: (s.start, [-x for x in s.order[1:]]))
            return Spot(IN_SESSION, best.session_id, instant=instant)
        if not started:
            return Spot(BEFORE, instant=instant)
        if self.last_end is not None and instant >= self.last_end:
            return Spot(AFTER, instant=instant)
        previous = max((s for s in started), key=lambda s: (s.end, s.order))
        return Spot(BETWEEN, after_session_id=previous.session_id, instant=instant)


def rules_for(event: Event) -> PlacementRules:
    """Load what placement needs for one event (three small queries)."""
    zone = zone_of(event.timezone)
    sessions = db.session.scalars(
        select(ProgrammeSession).where(ProgrammeSession.event_id == event.id)
    ).all()
    spans = [
        Span(
            s.id,
            local_to_utc(s.starts_at, zone),
            local_to_utc(s.ends_at, zone),
            (s.starts_at, s.position, s.id),
        )
        for s in sessions
    ]
    return PlacementRules(zone, spans, camera_offsets(event), manual_placements(event))


def camera_offsets(event: Event) -> dict[CameraKey, int]:
    rows = db.session.scalars(select(CameraOffset).where(CameraOffset.event_id == event.id))
    return {
        CameraKey(r.camera_make, r.camera_model, r.camera_serial): r.offset_seconds for r in rows
    }


def manual_placements(event: Event) -> dict[int, int]:
    rows = db.session.execute(
        select(PhotoPlacement.item_id, PhotoPlacement.session_id)
        .join(ProgrammeSession, ProgrammeSession.id == PhotoPlacement.session_id)
        .where(ProgrammeSession.event_id == event.id)
    )
    return {item_id: session_id for item_id, session_id in rows}


def event_photos(event: Event) -> list[Photo]:
    """Every photo of the event, whatever its visibility (callers filter what they show)."""
    return list(
        db.session.scalars(
            select(Photo).where(Photo.event_id == event.id).order_by(Photo.taken_at, Photo.id)
        )
    )


def place_photos(event: Event, photos: list[Photo]) -> dict[int, Spot]:
    """Where each of these photos (of `event`) goes."""
    rules = rules_for(event)
    return {photo.id: rules.spot(photo) for photo in photos}


# cameras and their clocks


@dataclass(frozen=True)
class CameraSummary:
    """One camera's photos at an event, with its clock correction and time range."""

    key: CameraKey
    photos: int
    dated: int
    offset_seconds: int
    first: datetime | None  # corrected local times of its first and last photo
    last: datetime | None


def cameras(event: Event) -> list[CameraSummary]:
    """Every camera that took photos of the event, most photos first."""
    rules = rules_for(event)
    by_camera: dict[CameraKey, list[Photo]] = {}
    for photo in event_photos(event):
        by_camera.setdefault(camera_key(photo), []).append(photo)
    summaries = []
    for key, photos in by_camera.items():
        instants = sorted(i for p in photos if (i := rules.instant(p)) is not None)
        local = [utc_to_local(i, rules.zone) for i in (instants[:1] + instants[-1:])]
        summaries.append(
            CameraSummary(
                key,
                len(photos),
                len(instants),
                rules.offsets.get(key, 0),
                local[0] if local else None,
                local[-1] if local else None,
            )
        )
    return sorted(summaries, key=lambda s: (-s.photos, s.key))


@dataclass(frozen=True)
class Move:
    """How many photos would go from one place to another."""

    source: tuple  # Spot.key
    target: tuple
    count: int


@dataclass(frozen=True)
class OffsetPreview:
    """What a new clock correction for one camera would change, before it is saved."""

    camera: CameraKey
    current: int
    proposed: int
    photos: int
    dated: int
    manual: int  # moved by hand: they stay
    moves: list[Move]

    @property
    def moved(self) -> int:
        return sum(m.count for m in self.moves)


def preview_offset(event: Event, key: CameraKey, proposed: int) -> OffsetPreview:
    """Place the camera's photos with the current and the proposed correction and compare."""
    rules = rules_for(event)
    photos = [p for p in event_photos(event) if camera_key(p) == key]
    changed = {**rules.offsets, key: proposed}
    moves: Counter = Counter()
    for photo in photos:
        if photo.id in rules.manual:
            continue
        before, after = rules.spot(photo), rules.spot(photo, changed)
        if before.key != after.key:
            moves[(before.key, after.key)] += 1
    return OffsetPreview(
        camera=key,
        current=rules.offsets.get(key, 0),
        proposed=proposed,
        photos=len(photos),
        dated=sum(1 for p in photos if p.taken_at is not None),
        manual=sum(1 for p in photos if p.id in rules.manual),
        moves=[Move(s, t, n) for (s, t), n in sorted(moves.items(), key=lambda m: -m[1])],
    )


def set_camera_offset(event: Event, key: CameraKey, seconds: int) -> None:
    """Save a camera's correction (zero removes it); the caller commits and reindexes."""
    row = db.session.scalar(
        select(CameraOffset).where(
            CameraOffset.event_id == event.id,
            CameraOffset.camera_make == key.make,
            CameraOffset.camera_model == key.model,
            CameraOffset.camera_serial == key.serial,
        )
    )
    if seconds == 0:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(
            CameraOffset(
                event_id=event.id,
                camera_make=key.make,
                camera_model=key.model,
                camera_serial=key.serial,
                offset_seconds=seconds,
            )
        )
    else:
        row.offset_seconds = seconds
    db.session.flush()


# moves by hand


def move_photos(event: Event, photo_ids: list[int], session_id: int | None, user: User) -> int:
    """Put photos of `event` into a session by hand, or (None) back to placement by time.
    Returns how many photos of the event were changed; the caller commits."""
    photos = db.session.scalars(
        select(Photo.id).where(Photo.event_id == event.id, Photo.id.in_(photo_ids))
    ).all()
    if session_id is not None:
        target = db.session.get(ProgrammeSession, session_id)
        if target is None or target.event_id != event.id:
            raise ProgrammeError(Message("that session is not part of this event's programme"))
    db.session.execute(delete(PhotoPlacement).where(PhotoPlacement.item_id.in_(photos)))
    if session_id is not None:
        placed_by = user.id if getattr(user, "id", None) else None
        db.session.add_all(
            PhotoPlacement(item_id=pid, session_id=session_id, placed_by_id=placed_by)
            for pid in photos
        )
    db.session.flush()
    return len(photos)
