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
from sqlalchemy.engine import make_url

from archive.fulltext import BACKENDS, FulltextError, SearchBackend, open_backend
from archive.startup import StartupError
from archive.storage import LocalStorage, StorageError

KEY = "archive"
logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Create the data folders' services, stopping with one line if a folder is unusable."""
    storage = LocalStorage(app.config["UPLOAD_DIR"])
    try:
        storage.ensure_layout()
    except StorageError as exc:
        raise StartupError(f"upload folder: {exc}") from exc
    try:
        index = open_search_index(app.config)
    except FulltextError as exc:
        raise StartupError(f"search index: {exc}") from exc
    app.extensions[KEY] = {"storage": storage, "index": index}


def open_search_index(config) -> SearchBackend:
    """The configured search backend: Whoosh in INDEX_DIR, or PostgreSQL at SEARCH_URL (by
    default the database), checked now so that an unreachable server stops start-up."""
    name = config["SEARCH_BACKEND"]
    if name not in BACKENDS:
        known = ", ".join(sorted(BACKENDS))
        raise StartupError(f"ARCHIVE_SEARCH_BACKEND={name!r} is not a search backend ({known})")
    if name == "postgresql":
        index = open_backend(name, dsn=search_dsn(config))
        index.check()
        return index
    index_dir = Path(config["INDEX_DIR"])
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        # A private name: processes starting together must not delete each other's probe.
        with tempfile.NamedTemporaryFile(dir=index_dir, prefix=".probe-"):
            pass
    except OSError as exc:
        raise StartupError(f"index folder: cannot write to {index_dir}: {exc.strerror}") from exc
    return open_backend(name, path=index_dir)


def search_dsn(config) -> str:
    """The libpq connection string of the search database: ARCHIVE_SEARCH_URL, else the
    database's URL; either must be PostgreSQL."""
    url = make_url(config.get("SEARCH_URL") or config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        raise StartupError(
            "ARCHIVE_SEARCH_BACKEND=postgresql needs PostgreSQL: set ARCHIVE_DATABASE_URL (or "
            "ARCHIVE_SEARCH_URL) to a postgresql+psycopg:// URL"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


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
