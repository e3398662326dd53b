"""The order of an event's items, in one place: the event page lists them in it and the ZIP
of its decks packs them in it (a sort the reader chose on the page travels to the ZIP)."""

from __future__ import annotations

from archive.models import Item


def sort_key_title(item: Item) -> tuple:
    """Titles A-Z without regard to case; an untitled item by its file name, not first."""
    return (item.display_title.casefold(), item.display_title, item.id)


def sort_items(items: list[Item], sort: str) -> list[Item]:
    """An event's items in the chosen order (title unless `sort` names another)."""
    if sort == "uploaded":
        return sorted(items, key=lambda i: (i.created_at, i.id), reverse=True)
    if sort == "speaker":
        # items without a speaker after those with one, then by title
        return sorted(
            items,
            key=lambda i: (
                not getattr(i, "speakers", ""),
                (getattr(i, "speakers", "") or "").casefold(),
                *sort_key_title(i),
            ),
        )
    return sorted(items, key=sort_key_title)
