"""Per-application service objects (storage, search index), created once at start-up.

Views, commands and tasks reach them through `current_storage()` and friends so that a
test app, a worker and a web process each get the ones configured for them.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from flask import Flask, current_app

from archive.fulltext import FulltextError, SearchBackend, open_backend
from archive.startup import StartupError
from archive.storage import LocalStorage, StorageError

KEY = "archive"
SEARCH_BACKEND = "whoosh"  # the one backend so far; see archive.fulltext.BACKENDS
logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Create the data folders' services, stopping with one line if a folder is unusable."""
    storage = LocalStorage(app.config["UPLOAD_DIR"])
    try:
        storage.ensure_layout()
    except StorageError as exc:
        raise StartupError(f"upload folder: {exc}") from exc
    index_dir = Path(app.config["INDEX_DIR"])
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        # A private name: processes starting together must not delete each other's probe.
        with tempfile.NamedTemporaryFile(dir=index_dir, prefix=".probe-"):
            pass
    except OSError as exc:
        raise StartupError(f"index folder: cannot write to {index_dir}: {exc.strerror}") from exc
    try:
        index = open_backend(SEARCH_BACKEND, path=index_dir)
    except FulltextError as exc:
        raise StartupError(f"search index: {exc}") from exc
    app.extensions[KEY] = {"storage": storage, "index": index}


def current_storage() -> LocalStorage:
    return current_app.extensions[KEY]["storage"]


def current_index() -> SearchBackend:
    """This process's search index (one per process; it keeps its searcher open)."""
    return current_app.extensions[KEY]["index"]


def warm_up() -> None:
    """Load the index's files and columns so that the first request does not wait for them."""
    started = time.perf_counter()
    current_index().warm_up()
    logger.info("search index warmed up in %.0f ms", (time.perf_counter() - started) * 1000)
