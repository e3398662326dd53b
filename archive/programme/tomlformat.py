"""The programme part of an event.toml (`flask import --per-event`, or uploaded alone):

    timezone = "Asia/Baku"
    [[sessions]]
    title = "Opening ceremony"
    start = 2023-07-25T09:00          # local date-times of the event's time zone
    end = 2023-07-25T10:30
    room = "Conference hall"
    chairs = ["Alikhan Baimenov"]     # or one string, separated by ;
    tags = ["opening"]
    [[sessions.talks]]
    title = "Welcome"
    speakers = ["Inara Valiyeva (Innovation and Digital Development Agency)"]
    start = 09:00                     # a time on the session's day, or a date-time
    file = "decks/welcome.pdf"        # the talk's deck, relative to the folder

`speakers` may also be one string ("A (Org); B") with an `organisation` for all, or a list
of tables `{ name = "...", organisation = "..." }`. Problems name the entry and field:
"session 2, talk 1, field start: ...".
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import PurePosixPath

from archive.fulltext.messages import Message, first_message
from archive.programme.clock import check_zone, parse_local_datetime, parse_time, zone_of
from archive.programme.drafts import (
    MAX_ROOM,
    MAX_TITLE,
    THE_FILE,
    Problems,
    ProgrammeDraft,
    SessionDraft,
    TalkDraft,
    parse_speakers,
    split_names,
)

SESSION_FIELDS = {"title", "start", "end", "room", "chairs", "tags", "talks"}
TALK_FIELDS = {"title", "speakers", "organisation", "start", "file"}


def has_sessions(data: dict) -> bool:
    """Whether an event.toml describes a programme (without one, the programme is kept)."""
    return "sessions" in data


def read_toml(data: dict, zone_name: str, source: str = "event.toml") -> ProgrammeDraft:
    """The programme of a parsed event.toml; ProgrammeImportError lists every bad field."""
    problems = Problems(source)
    timezone = None
    if "timezone" in data:
        try:
            timezone = check_zone(str(data["timezone"]))
        except ValueError as exc:
            problems.add(THE_FILE, "timezone", first_message(exc))
    zone = zone_of(timezone or zone_name)
    entries = data.get("sessions", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.add(THE_FILE, "sessions", Message("write each session as a [[sessions]] table"))
        problems.check()
    sessions = [read_session(n, e, zone, problems) for n, e in enumerate(entries, start=1)]
    problems.check()
    return ProgrammeDraft([s for s in sessions if s is not None], timezone)


def read_session(number: int, entry: dict, zone, problems: Problems) -> SessionDraft | None:
    where = Message("session %(number)s", number=number)
    before = len(problems.found)
    for name in sorted(set(entry) - SESSION_FIELDS):
        problems.add(
            where,
            name,
            Message(
                "unknown field; a session has %(fields)s", fields=", ".join(sorted(SESSION_FIELDS))
            ),
        )
    title = text_field(entry, "title", where, problems, required=True, limit=MAX_TITLE)
    times = {}
    for name in ("start", "end"):
        if name not in entry:
            problems.add(
                where, name, Message("required (a local date-time such as 2023-07-25T09:00)")
            )
            continue
        try:
            times[name] = parse_local_datetime(entry[name], zone)
        except ValueError as exc:
            problems.add(where, name, first_message(exc))
    if len(times) == 2 and times["end"] <= times["start"]:
        problems.add(where, "end", Message("the session ends before it starts"))
    talks_data = entry.get("talks", [])
    if not isinstance(talks_data, list) or not all(isinstance(t, dict) for t in talks_data):
        problems.add(where, "talks", Message("write each talk as a [[sessions.talks]] table"))
        talks_data = []
    day = times["start"].date() if "start" in times else None
    talks = [
        read_talk(
            Message("%(session)s, talk %(number)s", session=where, number=n), t, day, zone, problems
        )
        for n, t in enumerate(talks_data, start=1)
    ]
    session = SessionDraft(
        title=title,
        starts_at=times.get("start", datetime.min),
        ends_at=times.get("end", datetime.min),
        room=text_field(entry, "room", where, problems, limit=MAX_ROOM),
        chairs=names_field(entry, "chairs", where, problems),
        tags=names_field(entry, "tags", where, problems, separators=","),
        talks=[t for t in talks if t is not None],
        where=where,
    )
    return session if len(problems.found) == before else None


def read_talk(where: str, entry: dict, day: date | None, zone, problems) -> TalkDraft | None:
    before = len(problems.found)
    for name in sorted(set(entry) - TALK_FIELDS):
        problems.add(
            where,
            name,
            Message("unknown field; a talk has %(fields)s", fields=", ".join(sorted(TALK_FIELDS))),
        )
    title = text_field(entry, "title", where, problems, required=True, limit=MAX_TITLE)
    starts_at = None
    if "start" in entry:
        try:
            starts_at = talk_start(entry["start"], day, zone)
        except ValueError as exc:
            problems.add(where, "start", first_message(exc))
    speakers_value = entry.get("speakers", "")
    if not isinstance(speakers_value, str | list):
        problems.add(where, "speakers", Message("a string, or a list of names or tables"))
        speakers_value = ""
    try:
        speakers = parse_speakers(speakers_value, str(entry.get("organisation", "")))
    except ValueError as exc:
        problems.add(where, "speakers", first_message(exc))
        speakers = []
    file = text_field(entry, "file", where, problems)
    path = PurePosixPath(file)
    if file and (path.is_absolute() or ".." in path.parts or "\\" in file):
        problems.add(
            where,
            "file",
            Message("%(file)s must be a path inside the event's folder", file=repr(file)),
        )
    if len(problems.found) > before:
        return None
    return TalkDraft(title, starts_at, speakers, file, where)


def talk_start(value: object, day: date | None, zone) -> datetime:
    """A talk's start: a TOML time or "HH:MM" on the session's day, or a full date-time."""
    if isinstance(value, time):
        clock = value
    elif isinstance(value, str) and ":" in value and "-" not in value:
        clock = parse_time(value)
    else:
        return parse_local_datetime(value, zone)
    if day is None:
        raise ValueError(Message("the session's start is needed to read a time of day"))
    return datetime.combine(day, clock.replace(tzinfo=None, microsecond=0))


def text_field(entry, name, where, problems, required=False, limit=500) -> str:
    value = entry.get(name, "")
    if not isinstance(value, str):
        problems.add(where, name, Message("must be a string in quotes"))
        return ""
    value = value.strip()
    if required and not value:
        problems.add(where, name, Message("required"))
    elif len(value) > limit:
        problems.add(where, name, Message("longer than %(limit)s characters", limit=limit))
    return value


def names_field(entry, name, where, problems, separators: str = ";") -> list[str]:
    value = entry.get(name, [])
    if isinstance(value, str):
        parts = split_names(value) if separators == ";" else value.split(separators)
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    problems.add(where, name, Message("a string, or a list of strings"))
    return []
