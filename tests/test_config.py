"""Configuration, secret key and start-up checks."""

import os
import stat

import pytest

import config
from archive.fulltext.whoosh import internals as whoosh_internals
from tests.conftest import make_app
from tests.support import testdb


def test_secret_key_generated_once_with_mode_600(tmp_path):
    app = make_app(tmp_path, SECRET_KEY=None)
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(app.config["SECRET_KEY"]) == 64
    again = make_app(tmp_path, SECRET_KEY=None)
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_database_defaults_to_sqlite_in_instance_folder(tmp_path):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=None)
    expected = tmp_path / "instance" / "archive.db"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{expected}"
    assert expected.exists()


def test_data_folders_created(tmp_path):
    make_app(tmp_path)
    assert (tmp_path / "uploads" / "originals").is_dir()
    # The PostgreSQL backend keeps nothing of the index on this machine's disk.
    assert (tmp_path / "index").is_dir() == (testdb.SEARCH_BACKEND == "whoosh")


@pytest.mark.parametrize(
    ("name", "attribute", "value", "expected"),
    [
        ("ARCHIVE_UPLOAD_DIR", "UPLOAD_DIR", "/srv/u", "/srv/u"),
        ("ARCHIVE_INDEX_DIR", "INDEX_DIR", "/srv/i", "/srv/i"),
        (
            "ARCHIVE_DATABASE_URL",
            "SQLALCHEMY_DATABASE_URI",
            "postgresql://h/db",
            "postgresql://h/db",
        ),
        ("ARCHIVE_MAX_UPLOAD_MB", "MAX_UPLOAD_MB", "12", 12),
        ("ARCHIVE_SECRET_KEY", "SECRET_KEY", "s3cret", "s3cret"),
    ],
)
def test_environment_overrides(monkeypatch, name, attribute, value, expected):
    monkeypatch.setenv(name, value)
    import importlib

    reloaded = importlib.reload(config)
    try:
        assert getattr(reloaded.Config, attribute) == expected
    finally:
        monkeypatch.delenv(name)
        importlib.reload(config)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_upload_folder_stops_with_one_line(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(SystemExit) as exc:
        make_app(tmp_path, UPLOAD_DIR=str(locked / "uploads"))
    assert str(locked) in str(exc.value)


def test_upload_folder_that_is_a_file_stops_with_one_line(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(SystemExit) as exc:
        make_app(tmp_path, UPLOAD_DIR=str(blocker))
    message = str(exc.value)
    assert "upload folder" in message and str(blocker) in message
    assert "\n" not in message


def test_unreachable_database_stops_with_one_line_naming_it(tmp_path):
    url = f"sqlite:///{tmp_path}/missing-dir/sub/archive.db"
    with pytest.raises(SystemExit) as exc:
        make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    message = str(exc.value)
    assert "cannot reach database" in message and "missing-dir" in message
    assert "\n" not in message


@pytest.mark.skipif(
    testdb.SEARCH_BACKEND != "whoosh", reason="Whoosh is not opened with another backend"
)
def test_unverified_whoosh_stops_with_one_line_naming_both_versions(tmp_path, monkeypatch):
    monkeypatch.setattr(whoosh_internals, "installed_whoosh_version", lambda: "2.8.0")
    with pytest.raises(SystemExit) as exc:
        make_app(tmp_path)
    message = str(exc.value)
    assert "search index" in message and "Whoosh 2.8.0 is installed" in message
    assert whoosh_internals.VERIFIED_WHOOSH_VERSION in message
    assert "\n" not in message


def test_database_password_hidden_in_error(tmp_path):
    url = "postgresql+psycopg2://archive:hunter2secret@127.0.0.1:1/archive"
    with pytest.raises(SystemExit) as exc:
        make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    assert "hunter2secret" not in str(exc.value)
    assert "127.0.0.1:1" in str(exc.value)


def test_processes_starting_together_share_one_secret_key(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from archive.startup import load_or_create_secret_key

    path = tmp_path / "secret_key"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_or_create_secret_key(path), range(32)))
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_postgresql_search_on_sqlite_stops_with_one_line(tmp_path):
    with pytest.raises(SystemExit) as exc:
        make_app(tmp_path, SEARCH_BACKEND="postgresql", SEARCH_URL=None,
                 SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'a.db'}")  # fmt: skip
    message = str(exc.value)
    assert "ARCHIVE_SEARCH_BACKEND=postgresql needs PostgreSQL" in message and "\n" not in message


def test_unknown_search_backend_stops_with_one_line(tmp_path):
    with pytest.raises(SystemExit) as exc:
        make_app(tmp_path, SEARCH_BACKEND="elastic")
    assert "'elastic' is not a search backend (postgresql, whoosh)" in str(exc.value)


def test_unreachable_search_server_stops_with_one_line_naming_it(tmp_path):
    url = "postgresql+psycopg://archive:hunter2secret@127.0.0.1:1/search"
    with pytest.raises(SystemExit) as exc:
        make_app(tmp_path, SEARCH_BACKEND="postgresql", SEARCH_URL=url,
                 SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'a.db'}")  # fmt: skip
    message = str(exc.value)
    assert "cannot reach the search database postgresql://127.0.0.1:1/search" in message
    assert "hunter2secret" not in message and "\n" not in message


def test_unreachable_queue_stops_with_one_line_naming_it(tmp_path):
    url = "redis://:hunter2secret@127.0.0.1:1/0"
    with pytest.raises(SystemExit) as exc:
        make_app(tmp_path, QUEUE_IMMEDIATE=False, QUEUE_URL=url)
    message = str(exc.value)
    assert "cannot reach the queue redis://***@127.0.0.1:1/0" in message
    assert "hunter2secret" not in message and "\n" not in message
