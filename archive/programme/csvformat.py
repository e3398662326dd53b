"""The spreadsheet format: one row per talk, as organisers keep programmes.

Columns (the header row names them, in any order, any case): `day`, `start`, `end`,
`session`, `talk`, `speakers`, `organisation`, `room`, `file`, and optionally `chairs` and
`tags`. `day`, `start` and `session` are required. Rows with the same day, session and room
form one session, in the order of the file:

- a row's `start` and `end` are its talk's; the session runs from its earliest start to its
  latest end. When every talk row of a session repeats the same start (the session's time
  copied down), the talks get no time of their own and keep the file's order;
- a row without a `talk` describes the session itself (a site visit, a coffee break, or
  just the session's time, room and chairs);
- `speakers` are separated by `;`, each optionally "Name (Organisation)"; `organisation`
  gives one organisation for all of them, or one per speaker in the same order.

Excel's "CSV UTF-8" (with its byte-order mark) and semicolon-separated files are read as
well. Each problem is reported as "row N, column X: what is wrong", N counted as the
spreadsheet counts rows (the header is row 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time

from archive.fulltext.messages import Message, first_message
from archive.programme.clock import parse_day, parse_time
from archive.programme.drafts import (
    MAX_ROOM,
    MAX_TITLE,
    Problems,
    ProgrammeDraft,
    SessionDraft,
    SpeakerDraft,
    TalkDraft,
    parse_speakers,
    split_names,
)


def row_label(number: int) -> Message:
    """Where a problem is in a CSV file: "row 4"."""
    return Message("row %(number)s", number=number)


COLUMNS = (
    "day",
    "start",
    "end",
    "session",
    "talk",
    "speakers",
    "organisation",
    "room",
    "file",
    "chairs",
    "tags",
)
REQUIRED = ("day", "start", "session")
ALIASES = {
    "date": "day",
    "speaker": "speakers",
    "organization": "organisation",
    "organisations": "organisation",
    "organizations": "organisation",
    "location": "room",
    "deck": "file",
    "chair": "chairs",
    "title": "talk",
}
MAX_ROWS = 5000


@dataclass
class Row:
    """One valid row, its values parsed."""

    number: int
    day: date
    start: time
    end: time | None
    session: str
    talk: str
    speakers: list[SpeakerDraft]
    room: str
    file: str
    chairs: list[str]
    tags: list[str]


@dataclass
class Group:
    """The rows of one session."""

    rows: list[Row] = field(default_factory=list)


def read_csv(data: bytes, first_day: date | None, source: str = "the CSV file") -> ProgrammeDraft:
    """Parse a CSV programme; ProgrammeImportError lists every bad row and column."""
    problems = Problems(source)
    text = decode(data, problems)
    reader = csv.reader(io.StringIO(text), dialect=sniff_dialect(text))
    records = [r for r in reader if any(cell.strip() for cell in r)]
    if not records:
        problems.add(
            row_label(1), "day", Message("the file is empty; the first row names the columns")
        )
        problems.check()
    columns = read_header(records[0], problems)
    problems.check()
    if len(records) - 1 > MAX_ROWS:
        problems.add(
            row_label(MAX_ROWS + 2),
            "day",
            Message("a programme has at most %(limit)s rows", limit=MAX_ROWS),
        )
        problems.check()
    rows = []
    for number, record in enumerate(records[1:], start=2):
        cells = {name: (record[i].strip() if i < len(record) else "") for i, name in columns}
        row = read_row(number, cells, first_day, problems)
        if row is not None:
            rows.append(row)
    if not rows and not problems.found:
        problems.add(
            row_label(2), "session", Message("the file has a header but no programme rows")
        )
    sessions = [build_session(group, problems) for group in group_rows(rows)]
    problems.check()
    return ProgrammeDraft(sessions=[s for s in sessions if s is not None])


def decode(data: bytes, problems: Problems) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.add(
            row_label(1),
            "day",
            Message("the file is not UTF-8 text: in the spreadsheet, save as “CSV UTF-8”"),
        )
        problems.check()
        raise  # not reached: check() raised


def sniff_dialect(text: str) -> type[csv.Dialect]:
    """Comma, semicolon (European spreadsheets) or tab, whichever the header uses most."""
    header = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header.count)

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    return Dialect


def read_header(header: list[str], problems: Problems) -> list[tuple[int, str]]:
    """(cell index, column name) for each header cell; unknown and repeated names are errors."""
    columns, seen = [], set()
    for index, cell in enumerate(header):
        name = cell.strip().lower().replace(" ", "_")
        name = ALIASES.get(name, name)
        if not name:
            continue
        if name not in COLUMNS:
            known = ", ".join(COLUMNS)
            problems.add(
                row_label(1),
                cell.strip(),
                Message("unknown column; the columns are: %(columns)s", columns=known),
            )
        elif name in seen:
            problems.add(row_label(1), cell.strip(), Message("this column appears twice"))
        else:
            seen.add(name)
            columns.append((index, name))
    for name in REQUIRED:
        if name not in seen:
            problems.add(row_label(1), name, Message("this column is required"))
    return columns


def read_row(number: int, cells: dict[str, str], first_day, problems: Problems) -> Row | None:
    """One row's values, or None after recording what is wrong with it."""
    where = row_label(number)
    before = len(problems.found)
    values: dict = {}
    for column, parse in (
        ("day", lambda v: parse_day(v, first_day)),
        ("start", parse_time),
        ("end", lambda v: parse_time(v) if v else None),
    ):
        try:
            if column != "end" and not cells.get(column):
                raise ValueError(Message("this column must be filled in"))
            values[column] = parse(cells.get(column, ""))
        except ValueError as exc:
            problems.add(where, column, first_message(exc))
    for column, limit in (("session", MAX_TITLE), ("talk", MAX_TITLE), ("room", MAX_ROOM)):
        if len(cells.get(column, "")) > limit:
            problems.add(where, column, Message("longer than %(limit)s characters", limit=limit))
    if not cells.get("session"):
        problems.add(where, "session", Message("every row needs the title of its session"))
    try:
        speakers = parse_speakers(cells.get("speakers", ""), cells.get("organisation", ""))
    except ValueError as exc:
        problems.add(where, "speakers", first_message(exc))
        speakers = []
    if speakers and not cells.get("talk"):
        problems.add(where, "talk", Message("speakers are given, so the talk needs a title"))
    if cells.get("file") and not cells.get("talk"):
        problems.add(where, "talk", Message("a file is given, so the talk needs a title"))
    start, end = values.get("start"), values.get("end")
    if start is not None and end is not None and end <= start:
        problems.add(
            where,
            "end",
            Message(
                "%(end)s is not after the start %(start)s",
                end=f"{end:%H:%M}",
                start=f"{start:%H:%M}",
            ),
        )
    if len(problems.found) > before:
        return None
    return Row(
        number=number,
        day=values["day"],
        start=start,
        end=end,
        session=cells["session"],
        talk=cells.get("talk", ""),
        speakers=speakers,
        room=cells.get("room", ""),
        file=cells.get("file", ""),
        chairs=split_names(cells.get("chairs", "")),
        tags=[t.strip() for t in cells.get("tags", "").split(",") if t.strip()],
    )


def group_rows(rows: list[Row]) -> list[Group]:
    """Rows of the same day, session title and room, in order of first appearance."""
    groups: dict[tuple, Group] = {}
    for row in rows:
        key = (row.day, row.session.casefold(), row.room.casefold())
        groups.setdefault(key, Group()).rows.append(row)
    return list(groups.values())


def build_session(group: Group, problems: Problems) -> SessionDraft | None:
    """One session from its rows: its span, its talks, chairs and tags."""
    rows, first = group.rows, group.rows[0]
    ends = [r.end for r in rows if r.end is not None]
    if not ends:
        problems.add(
            row_label(first.number),
            "end",
            Message(
                "session “%(title)s” needs an end time on at least one of its rows",
                title=first.session,
            ),
        )
        return None
    start, end = min(r.start for r in rows), max(ends)
    talk_rows = [r for r in rows if r.talk]
    shared = len(talk_rows) > 1 and len({r.start for r in talk_rows}) == 1
    if end <= start:
        problems.add(row_label(first.number), "end", Message("the session ends before it starts"))
        return None
    return SessionDraft(
        title=first.session,
        starts_at=datetime.combine(first.day, start),
        ends_at=datetime.combine(first.day, end),
        room=first.room,
        chairs=list(dict.fromkeys(c for r in rows for c in r.chairs)),
        tags=list(dict.fromkeys(t for r in rows for t in r.tags)),
        talks=[
            TalkDraft(
                title=r.talk,
                starts_at=None if shared else datetime.combine(r.day, r.start),
                speakers=r.speakers,
                file=r.file,
                where=row_label(r.number),
            )
            for r in talk_rows
        ],
        where=row_label(first.number),
    )
