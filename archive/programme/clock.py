"""Time zones and the ways organisers write days, times and clock corrections.

Programme times are naive local times of the event's zone; photos carry an instant (UTC).
Everything that compares the two goes through `local_to_utc`, so daylight saving and zone
changes are handled by zoneinfo in one place. Parsers raise `ValueError` with a message
that says what was expected; callers add the row and column.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from archive.fulltext.messages import Message

FALLBACK_ZONE = "UTC"
ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
DOTTED_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
NUMBERED_DAY = re.compile(r"(?:day\s*)?(\d{1,2})", re.IGNORECASE)
CLOCK = re.compile(r"(\d{1,2})(?:[:.h](\d{2})(?::(\d{2}))?)?\s*([ap]\.?m\.?)?", re.IGNORECASE)
OFFSET = re.compile(r"([+-])?\s*(\d{1,3})(?::(\d{2}))?(?::(\d{2}))?")
MAX_OFFSET = timedelta(days=2)  # a clock set to the wrong day is fixed in two steps at most


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """The IANA zones to offer in forms: regions and cities, and UTC."""
    names = {n for n in available_timezones() if "/" in n and not n.startswith("Etc/")}
    return (FALLBACK_ZONE, *sorted(names))


def check_zone(name: str) -> str:
    """The zone name if zoneinfo knows it; ValueError otherwise."""
    name = (name or "").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            Message("%(name)s is not a time zone (use a name such as Asia/Baku)", name=repr(name))
        ) from None
    return name


def zone_of(name: str | None) -> ZoneInfo:
    """The zone of an event; a name that stopped existing reads as UTC rather than failing."""
    try:
        return ZoneInfo(check_zone(name or FALLBACK_ZONE))
    except ValueError:
        return ZoneInfo(FALLBACK_ZONE)


def local_to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local time of `zone` as a naive UTC instant (the earlier one when ambiguous)."""
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def utc_to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    """A naive UTC instant as the naive local time of `zone`."""
    return instant.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def utc_offset_label(local: datetime, zone: ZoneInfo) -> str:
    """ "UTC+4" or "UTC-3:30" for the zone at that local time."""
    offset = local.replace(tzinfo=zone).utcoffset() or timedelta(0)
    return "UTC" + (format_offset(int(offset.total_seconds()), seconds=False) if offset else "")


def isoformat(local: datetime | None, zone: ZoneInfo) -> str | None:
    """A local time with its UTC offset, as the API shows it: 2023-07-26T10:30:00+04:00."""
    return local.replace(tzinfo=zone).isoformat() if local else None


def parse_day(text: str, first_day: date | None) -> date:
    """A programme day: ISO or dotted date, or "Day N" counted from the event's first day."""
    text = (text or "").strip()
    try:
        if match := ISO_DAY.fullmatch(text):
            return date(*(int(g) for g in match.groups()))
        if match := DOTTED_DAY.fullmatch(text):
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        raise ValueError(Message("%(text)s is not a real date", text=repr(text))) from None
    if match := NUMBERED_DAY.fullmatch(text):
        if first_day is None:
            raise ValueError(
                Message(
                    "%(text)s counts from the event's first day, which is not set", text=repr(text)
                )
            )
        number = int(match.group(1))
        if number < 1:
            raise ValueError(Message("days are counted from 1"))
        return first_day + timedelta(days=number - 1)
    raise ValueError(
        Message(
            "%(text)s is not a date (2023-07-25 or 25.07.2023) or a day number (Day 2)",
            text=repr(text),
        )
    )


def parse_time(text: str) -> time:
    """A clock time: 09:30, 9.30, 9h30, 09:30:00, 2:15 pm, or a bare hour (9, 9 am)."""
    text = (text or "").strip()
    match = CLOCK.fullmatch(text)
    if not match:
        raise ValueError(
            Message("%(text)s is not a time such as 09:30, 9.30 or 2:15 pm", text=repr(text))
        )
    hour, minute, second = (int(match.group(n) or 0) for n in (1, 2, 3))
    if meridiem := match.group(4):
        if not 1 <= hour <= 12:
            raise ValueError(Message("%(text)s: with am/pm the hour is 1 to 12", text=repr(text)))
        hour = hour % 12 + (12 if meridiem.lower().startswith("p") else 0)
    try:
        return time(hour, minute, second)
    except ValueError:
        raise ValueError(Message("%(text)s is not a time of day", text=repr(text))) from None


def parse_local_datetime(value: object, zone: ZoneInfo) -> datetime:
    """A TOML date-time (local, or with an offset: converted into `zone`) or its text."""
    if isinstance(value, str):
        text = value.strip().replace(" ", "T", 1)
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                Message("%(value)s is not a date and time (2023-07-25T09:30)", value=repr(value))
            ) from None
    if isinstance(value, date) and not isinstance(value, datetime):
        raise ValueError(
            Message("%(value)s is a date without a time (write 2023-07-25T09:30)", value=str(value))
        )
    if not isinstance(value, datetime):
        raise ValueError(
            Message("%(value)s is not a date and time (2023-07-25T09:30)", value=repr(value))
        )
    if value.tzinfo is not None:
        value = value.astimezone(zone).replace(tzinfo=None)
    return value.replace(microsecond=0)


def parse_offset(text: str) -> int:
    """A clock correction in seconds: "+1:00", "-0:12", "+0:00:30", "-45" (minutes)."""
    cleaned = (text or "").strip()
    match = OFFSET.fullmatch(cleaned)
    if not match or not cleaned:
        raise ValueError(
            Message(
                "%(text)s is not a correction: write +H:MM or -H:MM (or minutes, e.g. -45)",
                text=repr(cleaned),
            )
        )
    sign, first, minutes, seconds = match.groups()
    if minutes is None:  # a bare number counts minutes
        total = timedelta(minutes=int(first))
    else:
        total = timedelta(hours=int(first), minutes=int(minutes), seconds=int(seconds or 0))
        if int(minutes) > 59 or int(seconds or 0) > 59:
            raise ValueError(
                Message("%(text)s: minutes and seconds go up to 59", text=repr(cleaned))
            )
    if total > MAX_OFFSET:
        raise ValueError(Message("%(text)s is more than two days", text=repr(cleaned)))
    return int(total.total_seconds()) * (-1 if sign == "-" else 1)


def format_offset(total_seconds: int, seconds: bool = True) -> str:
    """Seconds as a signed clock correction: +1:00, -0:12, +0:00:30."""
    sign = "-" if total_seconds < 0 else "+"
    hours, rest = divmod(abs(total_seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}{hours}:{minutes:02d}"
    return f"{text}:{secs:02d}" if secs and seconds else text
