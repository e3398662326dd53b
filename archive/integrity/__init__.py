"""The archive checked against itself: originals against their hashes, items against the
originals, the derived files, the search index and the queue; and the repairs for each.

`check_archive()` only reads and returns a `CheckReport`; `repair()` acts on one. The package:

- `report`: `CheckReport` (one list per kind of problem, and notes) and `RepairAction`
- `checks`: `check_archive` and one check per part of the archive, all read-only
- `repairs`: `repair` and one repair per kind of problem, each looking again before it acts
- `versions`: the same for earlier versions of items (originals, derived files, queue)
"""

from archive.integrity.checks import check_archive, count_originals
from archive.integrity.repairs import mark_lost, repair
from archive.integrity.report import CheckReport, RepairAction
from archive.integrity.versions import mark_version_lost

__all__ = [
    "CheckReport",
    "RepairAction",
    "check_archive",
    "count_originals",
    "mark_lost",
    "mark_version_lost",
    "repair",
]
