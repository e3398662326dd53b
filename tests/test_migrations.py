"""Migrations upgrade an empty database to head, and head matches the models, on the
session's database (SQLite, or PostgreSQL under ARCHIVE_TEST_DATABASE=postgresql)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from archive.extensions import db
from tests import conftest
from tests.conftest import make_app
from tests.support import testdb


def empty_database_url(tmp_path) -> str:
    if testdb.DATABASE == "postgresql":
        return conftest._databases.empty_url()
    return f"sqlite:///{tmp_path / 'migrated.db'}"


def test_upgrade_empty_database_to_head_matches_models(tmp_path):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url(tmp_path))
    with app.app_context():
        db.drop_all()
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "events", "items", "pages", "grants", "audit_entries"} <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
