"""The pipeline: the one place that decides how an accepted item is processed and indexed.

    accepted item (queued, committed)                         ingest.intake
      -> extract_item(id, worker)   claim with a lease, extract and save: ready | failed
      -> index_pending()            every ready item whose documents are not written yet,
                                    in batches, one run at a time
    new version of an item (queued, committed)                ingest.versions
      -> extract_version(id, worker)  extracted beside the current one; when ready it
                                    becomes current, and index_pending replaces the item's
                                    documents in one commit (the old version is found
                                    until then)
      -> recognise_item(id, worker) text recognition of scanned pages, unreadable text
                                    layers and photos of slides, after the item is ready,
                                    in slices of time; re-indexed when text is added

That rule is the same whoever starts it. The queue (`archive.tasks`) runs `extract_item`
for one item per task and `index_pending` as a task of its own, so that several workers
share one index commit; bulk import, the demo, restore and `flask reprocess` call
`process_items`, which runs both steps here; `flask reindex` calls `rebuild_index`. Edits
and deletions bring the index up to date with `reindex_items` and `remove_items`.

The pipeline knows nothing of the queue: `tasks.py` calls it, never the reverse. Its steps
live in the modules of this package: `claims` (claims and leases), `processing`,
`versions` (new versions of items), `recognition`, `index` (the index writes) and
`recovery` (what dead workers left behind); this module names the whole of it.
"""

from archive.pipeline.claims import (
    LEASE_GRACE_S,
    MAX_ATTEMPTS,
    claim,
    extraction_seconds,
    keep_claim,
    lease_seconds,
)
from archive.pipeline.index import (
    INDEX_LOCK,
    index_items,
    index_pending,
    rebuild_index,
    reindex_event,
    reindex_items,
    remove_items,
)
from archive.pipeline.processing import (
    INDEX_BATCH,
    extract_item,
    fail,
    import_folder,
    process_item,
    process_items,
    reprocess_item,
    requeue_failed,
)
from archive.pipeline.recognition import (
    recognise_item,
    recognise_items,
    recognise_pages,
    recognised_pages,
    request_recognition,
)
from archive.pipeline.recovery import (
    STALE_QUEUED,
    Recovery,
    lease_expired,
    recognitions_to_resume,
    recover,
    recoverable_items,
    release_abandoned,
    remove_stale_temp,
    requeue_unfinished,
    unindexed_items,
    worker_dead,
)
from archive.pipeline.versions import (
    earlier_versions,
    extract_version,
    process_version,
    reprocess_versions,
    version_item,
)

__all__ = [
    "earlier_versions",
    "extract_version",
    "process_version",
    "reprocess_versions",
    "version_item",
    "extraction_seconds",
    "keep_claim",
    "INDEX_BATCH",
    "INDEX_LOCK",
    "LEASE_GRACE_S",
    "MAX_ATTEMPTS",
    "Recovery",
    "STALE_QUEUED",
    "claim",
    "extract_item",
    "fail",
    "import_folder",
    "index_items",
    "index_pending",
    "lease_expired",
    "lease_seconds",
    "process_item",
    "process_items",
    "rebuild_index",
    "recognise_item",
    "recognise_items",
    "recognise_pages",
    "recognised_pages",
    "recognitions_to_resume",
    "recover",
    "recoverable_items",
    "reindex_event",
    "reindex_items",
    "release_abandoned",
    "remove_items",
    "remove_stale_temp",
    "reprocess_item",
    "request_recognition",
    "requeue_failed",
    "requeue_unfinished",
    "unindexed_items",
    "worker_dead",
]
