"""`flask backup` and `flask restore`: a round trip while uploads go on, and the refusals."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from pathlib import Path

import pytest
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import select

from archive import accounts
from archive.backup import FORMAT, FORMAT_VERSION
from archive.catalogue import EventDetails, create_event
from archive.extensions import db
from archive.ingest import ItemFields, accept_file
from archive.models import Event, Grant, Item, Presentation, User
from archive.services import current_storage
from tests.conftest import PASSWORD, make_app
from tests.support import testdb
from tests.test_integrity import (
    ingest,
    jpeg_bytes,
    original_path,
    search_pages,
    settle,
)

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def head_revision() -> str:
    """The newest migration's id (branches add theirs; the lead chains them)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


SURVEY = "un-egov-survey-2022-findings.pdf"  # page 3: "persists between and within countries"
COOPERATION = "cooperation-for-digital-government.pdf"  # page 3: "a proper legal framework"


def build_archive() -> dict[str, int]:
    """An event granted to UNDP, two decks (one staff-only), two photos, four accounts."""
    accounts.create_user("ada", PASSWORD, "admin")
    accounts.create_user("sam", PASSWORD, "staff")
    accounts.create_user("rita", PASSWORD, "researcher")
    accounts.create_user("pat", PASSWORD, "partner", "UNDP")
    event = create_event("baku-2023", EventDetails(title="e-Government workshop", city="Baku"))
    accounts.add_grant(event, accounts.find_organisation("UNDP"))
    db.session.commit()
    ids = {
        "survey": ingest(event, SURVEY, title="Survey findings"),
        "cooperation": ingest(event, COOPERATION, visibility="staff"),
        "group": ingest(event, "group-photo.jpg", title="Group photo"),
        "opening": ingest(event, "opening-ceremony.jpg"),
    }
    settle()
    return ids


@pytest.fixture
def source(tmp_path):
    """A migrated instance (so it has an Alembic revision) with a key file of its own."""
    app = make_app(tmp_path / "source", SECRET_KEY=None)
    with app.app_context():
        db.drop_all()
        upgrade()
        ids = build_archive()
        yield app, ids
        db.session.remove()


def empty_instance(tmp_path, name="target", **overrides):
    return make_app(tmp_path / name, **overrides)


def run(app, *args):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
        db.session.remove()
    return result


class Uploader(threading.Thread):
    """Uploads photos into the source instance until told to stop (as staff would)."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.done, self.stop = app, 0, threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            with self.app.app_context():
                event = db.session.scalar(select(Event))
                while not self.stop.is_set():
                    self.upload(event)
                db.session.remove()
        except BaseException as exc:  # reported by the test
            self.error = exc

    def upload(self, event):
        content = jpeg_bytes(size=(64 + self.done, 48))  # a new size: new bytes
        name = f"during-backup-{self.done}.jpg"
        stream = io.BytesIO(content)
        accepted = accept_file(current_storage(), stream, name, event, None, ItemFields())
        assert accepted.item is not None, accepted.outcome
        db.session.commit()
        self.done += 1
        self.stop.wait(0.02)  # a busy uploader, not a flood

    def wait_for(self, count: int) -> None:
        while self.done < count and self.error is None:
            self.stop.wait(0.01)


def backup_while_uploading(app, path: Path, *options) -> tuple[object, int, int]:
    uploader = Uploader(app)
    uploader.start()
    uploader.wait_for(2)
    before = uploader.done
    result = run(app, "backup", str(path), *options)
    uploader.wait_for(uploader.done + 2)
    uploader.stop.set()
    uploader.join()
    assert uploader.error is None, uploader.error
    return result, before, uploader.done


@pytest.mark.parametrize("name, options", [("backup.tar", ()), ("backup.tgz", ("--portable",))])
def test_round_trip_while_uploads_go_on(source, tmp_path, name, options):
    app, ids = source
    path = tmp_path / name
    result, before, after = backup_while_uploading(app, path, *options)
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output and path.is_file()
    with app.app_context():
        expected = snapshot_of(app)
    target = empty_instance(tmp_path, SECRET_KEY=None)
    restored = run(target, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    assert "the archive is searchable" in restored.output
    with target.app_context():
        got = snapshot_of(target)
        compare(expected, got, before, after)
        assert_usable(app, target, ids)
        db.session.remove()
    key = (Path(target.instance_path) / "secret_key").read_text()
    assert key == (Path(app.instance_path) / "secret_key").read_text()
    assert "secret key restored" in restored.output


def snapshot_of(app) -> dict:
    """What a restore must bring back, read through the models."""
    storage = current_storage()
    return {
        "users": {
            (u.username, u.role, u.organisation.name if u.organisation else None)
            for u in db.session.scalars(select(User))
        },
        "events": {(e.slug, e.title, e.city) for e in db.session.scalars(select(Event))},
        "grants": {(g.event.slug, g.organisation.name) for g in db.session.scalars(select(Grant))},
        "items": {
            i.sha256: (i.kind, i.title, i.visibility, i.original_filename)
            for i in db.session.scalars(select(Item))
        },
        "pages": {
            d.sha256: [(p.number, p.text) for p in d.pages]
            for d in db.session.scalars(select(Presentation))
        },
        "originals": {sha: original_path(sha).read_bytes() for sha in storage.iter_originals()},
    }


def compare(source: dict, restored: dict, before: int, after: int) -> None:
    for key in ("users", "events", "grants", "pages"):
        assert restored[key] == source[key], key
    # The backup holds the items committed when its database copy was taken: the four of
    # the archive, those uploaded before the backup started, perhaps some more, never all.
    uploads = len(restored["items"]) - 4
    assert before <= uploads < after
    assert set(restored["items"]) <= set(source["items"])
    for sha, facts in restored["items"].items():
        assert facts == source["items"][sha]
    # Exactly the originals the restored rows refer to, byte for byte.
    assert set(restored["originals"]) == set(restored["items"])
    for sha, content in restored["originals"].items():
        assert content == source["originals"][sha]


def assert_usable(source_app, target, ids) -> None:
    """Passwords work, searches land on the right page for the right people, images exist."""
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert all(user.check_password(PASSWORD) for user in users.values())
    survey = item_id_of(SURVEY)
    cooperation = item_id_of(COOPERATION)
    assert search_pages(users["rita"], '"persists between and within"') == {survey: [3]}
    assert search_pages(users["rita"], '"proper legal framework"') == {}  # staff only
    assert search_pages(users["sam"], '"proper legal framework"') == {cooperation: [3]}
    assert search_pages(users["pat"], '"persists between and within"') == {survey: [3]}
    storage = current_storage()
    assert storage.derived_file(survey, "page-0003-thumb.webp") is not None
    for item in db.session.scalars(select(Item).where(Item.kind == "photo")):
        assert item.status == "ready"
        assert storage.derived_file(item.id, "grid.webp") is not None
    check = target.test_cli_runner().invoke(args=["check"])
    assert check.exit_code == 0, check.output


def item_id_of(filename: str) -> int:
    return db.session.scalar(select(Item.id).where(Item.original_filename == filename))


# ---------------------------------------------------------------- refusals and damage


@pytest.fixture
def backup_file(source, tmp_path) -> Path:
    app, _ = source
    path = tmp_path / "backup.tar"
    result = run(app, "backup", str(path))
    assert result.exit_code == 0, result.output
    return path


def test_restore_refuses_an_instance_with_data(source, backup_file):
    app, _ = source
    result = run(app, "restore", str(backup_file))
    assert result.exit_code == 1
    assert "this instance is not empty" in result.output and "row(s) in users" in result.output


def test_restore_refuses_an_instance_with_originals_only(backup_file, tmp_path):
    target = empty_instance(tmp_path)
    with target.app_context():
        current_storage().store_original(io.BytesIO(b"left over"))
    result = run(target, "restore", str(backup_file))
    assert result.exit_code == 1 and "originals in the upload folder" in result.output


def rewrite(path: Path, change) -> Path:
    """A copy of a backup with `change(name, data) -> (name, data)` applied to each member."""
    out = path.with_name("changed-" + path.name)
    with tarfile.open(path) as old, tarfile.open(out, "w") as new:
        for info in old:
            name, data = change(info.name, old.extractfile(info).read())
            copy = tarfile.TarInfo(name)
            copy.size = len(data)
            new.addfile(copy, io.BytesIO(data))
    return out


def assert_nothing_restored(target) -> None:
    with target.app_context():
        assert db.session.scalar(select(User)) is None
        assert next(current_storage().iter_originals(), None) is None
        db.session.remove()


def test_a_changed_original_is_rejected_by_name(backup_file, tmp_path):
    with tarfile.open(backup_file) as tar:
        victim = next(n for n in tar.getnames() if n.startswith("originals/"))

    def tamper(name, data):
        return name, (data[:-3] + b"!!!") if name == victim else data

    target = empty_instance(tmp_path)
    result = run(target, "restore", str(rewrite(backup_file, tamper)))
    assert result.exit_code == 1
    assert f"{victim} does not match its SHA-256" in result.output
    assert_nothing_restored(target)


def test_a_changed_database_is_rejected_by_the_manifest(backup_file, tmp_path):
    member = database_members()[0]

    def tamper(name, data):
        return name, (data + b"\0" * 512) if name == member else data

    target = empty_instance(tmp_path)
    result = run(target, "restore", str(rewrite(backup_file, tamper)))
    assert result.exit_code == 1
    assert f"{member} does not match the SHA-256 in the manifest" in result.output
    assert_nothing_restored(target)


def evil_archive(path: Path, manifest: bytes, member: tarfile.TarInfo) -> Path:
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        tar.addfile(member, io.BytesIO(b"x" * member.size))
    return path


def evil_member(name: str, kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    if kind == tarfile.REGTYPE:
        info.size = 1
    else:
        info.linkname = "/etc/passwd"
    return info


@pytest.mark.parametrize(
    "member",
    [
        evil_member("../evil"),
        evil_member("originals/../../evil"),
        evil_member("/etc/cron.d/evil"),
        evil_member("originals/" + "a" * 64, tarfile.SYMTYPE),
        evil_member("instance/secret_key", tarfile.LNKTYPE),
        evil_member("database/archive.sqlite3", tarfile.CHRTYPE),
        evil_member("uploads/derived/1/grid.webp"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink", "hardlink", "device", "unexpected"],
)
def test_members_outside_the_layout_are_rejected(tmp_path, member):
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "members": {}}
    path = evil_archive(tmp_path / "evil.tar", json.dumps(manifest).encode(), member)
    target = empty_instance(tmp_path)
    result = run(target, "restore", str(path))
    assert result.exit_code == 1
    assert f"member {member.name!r} is not part of a Workshop Archive backup" in result.output
    assert not (tmp_path / "evil").exists()
    assert_nothing_restored(target)


def test_not_a_backup_is_rejected(tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not a tar file at all" * 100)
    target = empty_instance(tmp_path)
    result = run(target, "restore", str(junk))
    assert result.exit_code == 1 and "is not a readable backup" in result.output


def test_backup_refuses_to_overwrite_without_force(source, backup_file):
    app, _ = source
    before = backup_file.read_bytes()
    refused = run(app, "backup", str(backup_file))
    assert refused.exit_code == 1 and "already exists; add --force" in refused.output
    assert backup_file.read_bytes() == before
    forced = run(app, "backup", str(backup_file), "--force")
    assert forced.exit_code == 0, forced.output
    assert not [p for p in backup_file.parent.iterdir() if p.name.startswith(".backup.tar.")]


def test_backup_names_a_supported_format(source, tmp_path):
    app, _ = source
    result = run(app, "backup", str(tmp_path / "backup.zip"))
    assert result.exit_code == 1 and "must end in .tar, .tar.gz or .tgz" in result.output


def database_members() -> list[str]:
    """What a plain backup holds of this session's database: SQLite's file, or (PostgreSQL)
    every table as JSON lines."""
    if testdb.DATABASE == "sqlite":
        return ["database/archive.sqlite3"]
    tables = ("api_tokens", "audit_entries", "events", "grants", "items", "organisations",
              "pages", "users")  # fmt: skip
    return [f"database/{name}.jsonl" for name in tables]


def test_backup_contents_and_manifest(source, backup_file):
    app, ids = source
    with tarfile.open(backup_file) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
        modes = {info.name: info.mode for info in tar}
    assert names[0] == "manifest.json"
    assert set(names) == {"manifest.json", "instance/secret_key", *database_members()} | {
        f"originals/{o['sha256']}" for o in manifest["originals"]
    }
    assert not any("derived" in n or "index" in n for n in names)
    assert manifest["counts"] == {"users": 4, "events": 1, "items": 4}
    assert manifest["alembic_revision"] == head_revision() and manifest["index_schema_version"]
    assert len(manifest["originals"]) == 4 and manifest["errors"] == []
    assert modes["instance/secret_key"] == 0o600
    assert backup_file.stat().st_mode & 0o077 == 0  # password hashes and the key inside


def test_missing_original_is_reported_and_its_item_failed_on_restore(source, tmp_path):
    app, ids = source
    with app.app_context():
        sha = db.session.get(Item, ids["opening"]).sha256
        original_path(sha).unlink()
    path = tmp_path / "backup.tar"
    result = run(app, "backup", str(path))
    assert result.exit_code == 1 and path.is_file()
    assert f"item {ids['opening']}: original {sha} is missing; not backed up" in result.output
    target = empty_instance(tmp_path)
    restored = run(target, "restore", str(path), "--no-derived")
    assert restored.exit_code == 1
    assert f"error: item {ids['opening']}: original {sha} is not in the backup" in restored.output
    assert "Derived files not made" in restored.output
    with target.app_context():
        item = db.session.get(Item, ids["opening"])
        assert item.status == "failed" and item.error_code == "original-missing"
        assert current_storage().derived_file(ids["group"], "grid.webp") is None
        assert db.session.get(Item, ids["group"]).status == "ready"
        db.session.remove()


def test_a_configured_secret_key_is_not_replaced(backup_file, tmp_path):
    target = empty_instance(tmp_path)  # the test configuration sets SECRET_KEY
    result = run(target, "restore", str(backup_file), "--no-derived")
    assert result.exit_code == 0, result.output
    assert "secret key not restored: this instance's key is configured" in result.output
    assert not (Path(target.instance_path) / "secret_key").exists()


@pytest.mark.parametrize("options", [(), ("--portable",)])
def test_backup_of_a_database_made_without_migrations_restores(app, make_event, tmp_path, options):
    event = make_event()
    deck = ingest(event, SURVEY)
    path = tmp_path / "backup.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(path), *options])
    assert result.exit_code == 0, result.output
    target = empty_instance(tmp_path)
    restored = run(target, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    with target.app_context():
        assert db.session.get(Item, deck).status == "ready"
        db.session.remove()


def test_an_sqlite_archive_moves_to_postgresql(tmp_path, postgres_databases):
    """`backup --portable` on SQLite, `restore` into PostgreSQL (with the PostgreSQL search
    backend): the same rows, originals, key and search results."""
    sqlite_url = f"sqlite:///{tmp_path / 'source.db'}"
    app = make_app(tmp_path / "source", SECRET_KEY=None, SQLALCHEMY_DATABASE_URI=sqlite_url,
                   SEARCH_BACKEND="whoosh")  # fmt: skip
    path = tmp_path / "move.tar"
    with app.app_context():
        db.drop_all()
        upgrade()
        ids = build_archive()
        result = app.test_cli_runner().invoke(args=["backup", str(path), "--portable"])
        assert result.exit_code == 0, result.output
        assert "database as jsonl" in result.output
        expected = snapshot_of(app)
        db.session.remove()
    target = empty_instance(tmp_path, SECRET_KEY=None, SEARCH_BACKEND="postgresql",
                            SQLALCHEMY_DATABASE_URI=postgres_databases.empty_url())  # fmt: skip
    restored = run(target, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    with target.app_context():
        assert db.engine.dialect.name == "postgresql"
        compare(expected, snapshot_of(target), 0, 1)
        assert_usable(app, target, ids)
        db.session.remove()
