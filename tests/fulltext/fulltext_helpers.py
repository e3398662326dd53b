"""Shared helpers for the full-text tests: item factories, scopes, result accessors."""

from __future__ import annotations

from datetime import date

import pytest

from archive.fulltext import AccessScope, ItemDoc, PageText

STAFF = AccessScope(include_staff_only=True)
RESEARCHER = AccessScope(include_staff_only=False)


def partner(org_id: int, *event_ids: int) -> AccessScope:
    return AccessScope(False, frozenset(event_ids), org_id)


def make_item(item_id: int, **overrides) -> ItemDoc:
    """An ItemDoc with harmless defaults; a photo when kind="photo"."""
    event_id = overrides.pop("event_id", 1)
    day = overrides.pop("day", date(2023, 7, 25))
    fields = dict(
        item_id=item_id,
        kind="presentation",
        title=f"Deck {item_id}",
        speakers=("Ann Speaker",),
        organisations=("Org One",),
        language=None,
        visibility="shared",
        event_id=event_id,
        event_slug=f"event-{event_id}",
        event_title=f"Workshop number {event_id}",
        event_start=day,
        event_end=day,
        city="Baku",
        country="Azerbaijan",
        tags=(),
        granted_org_ids=(),
        item_date=day,
    )
    fields.update(overrides)
    return ItemDoc(**fields)


def pages(*texts: str, language: str | None = None) -> list[PageText]:
    return [PageText(n, None, text, language) for n, text in enumerate(texts, 1)]


def ids(page) -> list[int]:
    """Item ids of the result groups, in order."""
    return [g.item_id for g in page.groups]


def photo_ids(page) -> list[int]:
    return [p.item_id for p in page.photos]


def differs_on_postgresql(backend: str, reason: str) -> None:
    """Where the PostgreSQL backend cannot give Whoosh's answer: skip there, saying why."""
    if backend == "postgresql":
        pytest.skip(f"PostgreSQL backend differs: {reason}")
