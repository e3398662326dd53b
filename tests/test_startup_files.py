"""Start-up: private files for the database and secret key, and configured paths resolved
once, so that relative folders work for writing and serving alike."""

from __future__ import annotations

import stat
from pathlib import Path

from archive import accounts, create_app
from archive.catalogue import EventDetails, create_event
from archive.extensions import db
from archive.models import Photo
from tests.conftest import add_item, make_app, publish_files


def settings(tmp_path: Path, instance: Path) -> dict:
    """The default database (in the instance folder), other folders under tmp_path."""
    return {
        "CONFIG_CLASS": "config.TestingConfig",
        "INSTANCE_DIR": str(instance),
        "UPLOAD_DIR": str(tmp_path / "up"),
        "INDEX_DIR": str(tmp_path / "ix"),
    }


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_instance_folder_and_database_are_private(tmp_path):
    app = create_app(settings(tmp_path, tmp_path / "inst"))
    with app.app_context():
        db.create_all()
        db.session.execute(db.text("CREATE TABLE probe (x)"))
        db.session.commit()
        instance = Path(app.instance_path)
        assert mode(instance) == 0o700
        database = instance / "archive.db"
        assert mode(database) == 0o600
        for extra in (Path(f"{database}-wal"), Path(f"{database}-shm")):
            if extra.exists():
                assert mode(extra) == 0o600, extra
        db.session.remove()
        db.engine.dispose()


def test_an_existing_world_readable_instance_is_made_private(tmp_path):
    instance = tmp_path / "inst"
    instance.mkdir(mode=0o755)
    (instance / "archive.db").touch(mode=0o644)
    (instance / "archive.db").chmod(0o644)
    instance.chmod(0o755)
    create_app(settings(tmp_path, instance))
    assert mode(instance) == 0o700
    assert mode(instance / "archive.db") == 0o600


def test_relative_folders_are_resolved_once_against_the_working_directory(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    app = make_app(
        tmp_path,
        UPLOAD_DIR="../somewhere/uploads",
        INDEX_DIR="rel-index",
        SQLALCHEMY_DATABASE_URI="sqlite:///rel.db",
    )
    assert app.config["UPLOAD_DIR"] == str(tmp_path / "work" / ".." / "somewhere" / "uploads")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{work / 'rel.db'}"
    assert (work / "rel.db").exists() and (work / "rel-index").is_dir()
    with app.app_context():
        event = create_event("e-1", EventDetails(title="E"))
        photo = add_item(Photo, event, "P", "shared", "ready", "p.jpg", b"jpeg", "image/jpeg")
        # Staff get the stored original; others a copy without GPS, which needs a real JPEG.
        accounts.create_user("rita", "correct horse battery", "staff")
        db.session.commit()
        publish_files(photo.id, {"grid.webp": b"RIFF-grid"})
        photo_id = photo.id
    assert (tmp_path / "somewhere" / "uploads" / "derived" / str(photo_id) / "grid.webp").exists()
    client = app.test_client()
    client.post("/login", data={"username": "rita", "password": "correct horse battery"})
    monkeypatch.chdir(tmp_path)  # a server whose working directory changes later
    response = client.get(f"/items/{photo_id}/photo/grid")
    assert response.status_code == 200 and response.data == b"RIFF-grid"
    download = client.get(f"/items/{photo_id}/download")
    assert download.status_code == 200 and download.data == b"jpeg"
