"""Ingestion services: from an uploaded file to a stored, extracted and thumbnailed item.

    accept_file()       store the original by content, sniff its type, create a queued item
    extract_and_save()  extract in a limited child process, publish derived files, save
                        pages and facts, commit the item as ready
    mark_failed()       record why an item failed and drop its half-made files
    accept_version()    a corrected file for an existing item, processed beside the current
                        one and made current when ready (see `archive.ingest.versions`)

The extraction steps themselves (sniff, pdf, render, photos, textnorm, language, sandbox)
are pure functions on paths, in the modules beside this one. Nothing here knows the queue
or the search index: `archive.pipeline` decides when these run and when items are indexed.
"""

from archive.ingest.errors import IngestError
from archive.ingest.intake import (
    Accepted,
    FieldError,
    ItemFields,
    accept_file,
    accept_uploads,
    accepted_ids,
    check_fields,
)
from archive.ingest.processing import extract_and_save, mark_failed
from archive.ingest.versions import (
    VersionError,
    VersionOutcome,
    accept_version,
    audit_upload,
    extract_version_and_save,
    mark_version_failed,
    restore_version,
)

__all__ = [
    "Accepted",
    "FieldError",
    "IngestError",
    "ItemFields",
    "VersionError",
    "VersionOutcome",
    "accept_file",
    "accept_uploads",
    "accept_version",
    "accepted_ids",
    "audit_upload",
    "check_fields",
    "extract_and_save",
    "extract_version_and_save",
    "mark_failed",
    "mark_version_failed",
    "restore_version",
]
