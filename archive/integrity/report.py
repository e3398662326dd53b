"""What a check found and what a repair did: `CheckReport` and `RepairAction`.

A report holds one list per kind of problem, plus notes (facts that are not problems, such
as pages pdfium could not render), and turns them into headed lines for the `check` command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

TEMP_MAX_AGE = timedelta(hours=1)
LOST_CODES = {"original-missing": "is missing", "original-corrupt": "was damaged"}


@dataclass
class CheckReport:
    """What `check_archive` found; every list holds one problem kind, empty when fine."""

    originals_checked: int = 0
    hashes_verified: bool = True
    items_checked: int = 0
    indexed_items: int = 0
    corrupt_originals: dict[str, int | None] = field(default_factory=dict)  # sha -> item id
    lost_originals: dict[int, str] = field(default_factory=dict)  # item id -> sha
    orphan_originals: list[str] = field(default_factory=list)
    index_error: str | None = None
    unindexed_items: list[int] = field(default_factory=list)
    stray_index_items: dict[int, str] = field(default_factory=dict)  # item id -> status
    unknown_index_items: list[int] = field(default_factory=list)
    index_access_drift: dict[int, str] = field(default_factory=dict)  # item id -> what differs
    missing_derived: dict[int, list[str]] = field(default_factory=dict)
    orphan_derived: list[int] = field(default_factory=list)
    stale_temp: list[str] = field(default_factory=list)
    stuck_processing: dict[int, str] = field(default_factory=dict)  # item id -> why
    stuck_queued: list[int] = field(default_factory=list)
    # Earlier versions of items (version id -> ...); current versions are the items above.
    versions_checked: int = 0
    lost_version_originals: dict[int, str] = field(default_factory=dict)  # -> sha
    missing_version_derived: dict[int, list[str]] = field(default_factory=dict)
    orphan_version_derived: list[str] = field(default_factory=list)  # "<item>/<number>"
    stuck_versions: dict[int, str] = field(default_factory=dict)  # -> why
    # Notes, not problems: a clean archive can have them.
    unrendered_pages: dict[int, list[int]] = field(default_factory=dict)
    recorded_losses: dict[int, str] = field(default_factory=dict)  # item id -> error code
    recorded_version_losses: dict[int, str] = field(default_factory=dict)  # version id -> code
    queue_error: str | None = None

    def problem_groups(self) -> list[tuple[str, list[str]]]:
        """(heading, one line per problem) for every kind of problem found."""
        groups = [
            (
                "Originals whose bytes do not match their SHA-256 (damaged)",
                [f"{sha}{_item_suffix(i)}" for sha, i in self.corrupt_originals.items()],
            ),
            (
                "Items whose original is missing (lost!)",
                [f"item {i}: original {sha}" for i, sha in self.lost_originals.items()],
            ),
            ("Originals no item refers to (orphans)", list(self.orphan_originals)),
            (
                "Search index unusable",
                [self.index_error] if self.index_error else [],
            ),
            (
                "Ready items missing from the search index or not marked indexed",
                [f"item {i}" for i in self.unindexed_items],
            ),
            (
                "Items in the search index that are not ready (strays)",
                [f"item {i} ({status})" for i, status in self.stray_index_items.items()],
            ),
            (
                "Items in the search index that are not in the database",
                [f"item {i}" for i in self.unknown_index_items],
            ),
            (
                "Items the search index shows to other people than the database allows",
                [f"item {i}: {what}" for i, what in self.index_access_drift.items()],
            ),
            (
                "Ready items with missing derived files",
                [f"item {i}: {', '.join(names)}" for i, names in self.missing_derived.items()],
            ),
            (
                "Derived folders of items that no longer exist",
                [f"derived/{i}" for i in self.orphan_derived],
            ),
            (
                f"Temporary files older than {_hours(TEMP_MAX_AGE)}",
                [f"tmp/{name}" for name in self.stale_temp],
            ),
            (
                "Items stuck in processing",
                [f"item {i}: {why}" for i, why in self.stuck_processing.items()],
            ),
            (
                "Items queued for long while the queue is empty",
                [f"item {i}" for i in self.stuck_queued],
            ),
            *self.version_problem_groups(),
        ]
        return [(heading, lines) for heading, lines in groups if lines]

    def version_problem_groups(self) -> list[tuple[str, list[str]]]:
        return [
            (
                "Versions whose original is missing (lost!)",
                [f"version {v}: original {sha}" for v, sha in self.lost_version_originals.items()],
            ),
            (
                "Earlier versions with missing derived files",
                [
                    f"version {v}: {', '.join(names)}"
                    for v, names in self.missing_version_derived.items()
                ],
            ),
            (
                "Derived folders of versions that are not earlier versions",
                [f"versions/{folder}" for folder in self.orphan_version_derived],
            ),
            (
                "Versions stuck in processing or queued for long",
                [f"version {v}: {why}" for v, why in self.stuck_versions.items()],
            ),
        ]

    def notes(self) -> list[str]:
        """Facts worth knowing that are not problems (they do not fail the check)."""
        notes = [
            f"item {i}: page(s) {_ranges(pages)} have no image (pdfium could not render "
            "them when the deck was processed)"
            for i, pages in self.unrendered_pages.items()
        ]
        notes += [
            f"item {i} is failed because its original {LOST_CODES[code]}; restore the file "
            f"and run `flask --app archive reprocess {i}`"
            for i, code in self.recorded_losses.items()
        ]
        notes += [
            f"version {v} is failed because its original {LOST_CODES[code]}"
            for v, code in self.recorded_version_losses.items()
        ]
        if self.queue_error:
            notes.append(f"queue not checked for lost items: {self.queue_error}")
        return notes

    @property
    def problem_count(self) -> int:
        return sum(len(lines) for _, lines in self.problem_groups())

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


@dataclass(frozen=True)
class RepairAction:
    """One line of what `repair` did; `ok` is False when the problem is still there."""

    subject: str
    outcome: str
    ok: bool = True


# ---------------------------------------------------------------------------- helpers


def _item_suffix(item_id: int | None) -> str:
    return f" (item {item_id})" if item_id is not None else " (no item)"


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return "an hour" if hours == 1 else f"{hours:g} hours"


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> "1-3, 5"."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
