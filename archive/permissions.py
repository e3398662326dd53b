"""The only home of access rules: who may see, download and edit what.

The same rules exist in three shapes so that no list, count, facet or search can disagree
with a single-object check: predicates for one object, SQL filters for queries, and an
`AccessScope` that `archive.fulltext` turns into a Whoosh filter.
"""

from __future__ import annotations

from dataclasses import dataclass

STAFF_ONLY = "staff"


@dataclass(frozen=True)
class AccessScope:
    """What a search may reach for one user; `None` means no restriction on that axis."""

    include_staff_only: bool
    event_ids: frozenset[int] | None = None
    organisation_id: int | None = None

    @property
    def unrestricted(self) -> bool:
        return self.include_staff_only and self.event_ids is None and self.organisation_id is None
