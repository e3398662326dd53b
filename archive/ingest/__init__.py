"""Ingestion: from an uploaded file to a stored, extracted, thumbnailed and indexed item.

    accept_file()    store the original by content, sniff its type, create a queued item
    process_item()   claim it, extract in a limited child process, publish derived files,
                     save pages and facts, index
    recovery         re-queue what a dead worker left behind

The extraction steps themselves (sniff, pdf, render, photos, textnorm, language, sandbox)
are pure functions on paths, in the modules beside this one.
"""

from archive.ingest.errors import IngestError
from archive.ingest.intake import (
    Accepted,
    FieldError,
    ItemFields,
    accept_file,
    accept_uploads,
    check_fields,
    enqueue_accepted,
)
from archive.ingest.processing import process_item
from archive.ingest.recovery import (
    recoverable_items,
    remove_stale_temp,
    requeue_unfinished,
    unindexed_items,
)

__all__ = [
    "Accepted",
    "FieldError",
    "IngestError",
    "ItemFields",
    "accept_file",
    "accept_uploads",
    "check_fields",
    "enqueue_accepted",
    "process_item",
    "recoverable_items",
    "remove_stale_temp",
    "requeue_unfinished",
    "unindexed_items",
]
