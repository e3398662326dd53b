"""Which database the test session runs on, and a fresh database for each test.

`ARCHIVE_TEST_DATABASE=sqlite` (the default) or `postgresql` chooses the database of every
app a test makes; `ARCHIVE_TEST_SEARCH_BACKEND` (default: `postgresql` with a PostgreSQL
database, else `whoosh`) chooses their search backend. With PostgreSQL one throwaway server
(`tests.support.postgres`) serves the session, and each test gets databases of its own,
copied from templates that already hold the tables and the search schema (a copy takes
about 50 ms; creating them would take longer), dropped when the test ends.
"""

from __future__ import annotations

import itertools
import os

from sqlalchemy import create_engine

from tests.support.postgres import PostgresServer

DATABASE = os.environ.get("ARCHIVE_TEST_DATABASE", "sqlite").lower()
SEARCH_BACKEND = os.environ.get(
    "ARCHIVE_TEST_SEARCH_BACKEND", "postgresql" if DATABASE == "postgresql" else "whoosh"
).lower()
if DATABASE not in ("sqlite", "postgresql"):
    raise SystemExit(f"ARCHIVE_TEST_DATABASE={DATABASE!r}: use sqlite or postgresql")
if SEARCH_BACKEND not in ("whoosh", "postgresql"):
    raise SystemExit(f"ARCHIVE_TEST_SEARCH_BACKEND={SEARCH_BACKEND!r}: use whoosh or postgresql")

APP_TEMPLATE = "template_archive"
SEARCH_TEMPLATE = "template_search"


class TestDatabases:
    """A server's per-test databases; `drop_created()` after each test."""

    __test__ = False  # not a test class, whatever its name says

    def __init__(self, server: PostgresServer):
        self.server = server
        self.created: list[str] = []
        self.counter = itertools.count(1)
        self.templates: set[str] = set()

    def _template(self, name: str) -> str:
        if name not in self.templates:
            self.server.create_database(name)
            if name == APP_TEMPLATE:
                create_app_tables(self.server.url(name))
            install_search_schema(self.server.dsn(name))
            self.templates.add(name)
        return name

    def _clone(self, template: str) -> str:
        name = f"test_{os.getpid()}_{next(self.counter)}"
        self.server.create_database(name, template=self._template(template))
        self.created.append(name)
        return name

    def app_url(self) -> str:
        """An SQLAlchemy URL of a new database with the app's tables and the search schema."""
        return self.server.url(self._clone(APP_TEMPLATE))

    def search_dsn(self) -> str:
        """A libpq DSN of a new database holding only the search schema."""
        return self.server.dsn(self._clone(SEARCH_TEMPLATE))

    def empty_url(self) -> str:
        """An SQLAlchemy URL of a new, empty database (migrations, restores)."""
        name = f"test_{os.getpid()}_{next(self.counter)}"
        self.server.create_database(name)
        self.created.append(name)
        return self.server.url(name)

    def drop_created(self) -> None:
        while self.created:
            self.server.drop_database(self.created.pop())


def create_app_tables(url: str) -> None:
    """The models' tables, as `db.create_all()` makes them for every test app."""
    import archive.models  # noqa: F401  (registers every model on the metadata)
    from archive.extensions import db

    engine = create_engine(url)
    try:
        db.metadata.create_all(engine)
    finally:
        engine.dispose()


def install_search_schema(dsn: str) -> None:
    """The PostgreSQL search backend's schema, as its first connection installs it."""
    from archive.fulltext.postgres import PostgresIndex

    PostgresIndex(dsn).check()
