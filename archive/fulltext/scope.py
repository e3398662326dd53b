"""What one search may reach: the access rules in the shape every search backend applies.

`archive.permissions` decides the rules and builds an `AccessScope` for a user; a backend
turns it into its own filter (a Whoosh query node, an SQL condition) and combines it into
every search, so that results, counts, facets and suggestions stay within the scope.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccessScope:
    """What a search may reach for one user; `None` means no restriction on that axis."""

    include_staff_only: bool
    event_ids: frozenset[int] | None = None
    organisation_id: int | None = None

    @property
    def unrestricted(self) -> bool:
        """True for staff: no visibility, event or grant restriction applies."""
        return self.include_staff_only and self.event_ids is None and self.organisation_id is None
