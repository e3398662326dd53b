"""Backup and restore: one tar file holding the database, the originals and the secret key.

Derived files and the search index are caches, so a backup leaves them out and a restore
rebuilds them. The package follows the seams of the work:

- `format`: member names, the manifest, reading, verifying and writing tar members
- `database`: the database copied at one instant (SQLite file or JSON lines) and loaded back
- `create`: `backup_archive`, the steps that make a backup while the service runs
- `restore`: `restore_archive`, verification, the install steps and the rebuild of caches
"""

from archive.backup.create import BackupReport, backup_archive
from archive.backup.format import (
    FORMAT,
    FORMAT_VERSION,
    BackupError,
    RestoreError,
    Stage,
    no_progress,
)
from archive.backup.restore import RestoreReport, restore_archive

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "BackupError",
    "BackupReport",
    "RestoreError",
    "RestoreReport",
    "Stage",
    "backup_archive",
    "no_progress",
    "restore_archive",
]
