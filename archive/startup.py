"""Start-up checks: the instance folder, the secret key, the data folders and the database.

Each failure stops the process with one line naming the path or URL, because a traceback
at start-up tells an operator less than "cannot write to /srv/archive/uploads".
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)


class StartupError(SystemExit):
    """Raised to stop start-up; the message is printed as the process's only output."""

    def __init__(self, message: str):
        super().__init__(f"workshop-archive: {message}")


PATH_SETTINGS = ("INSTANCE_DIR", "UPLOAD_DIR", "INDEX_DIR")


def resolve_paths(app: Flask) -> None:
    """Make every configured folder, and a SQLite database's file, absolute once, against the
    working directory at start-up: a relative ARCHIVE_UPLOAD_DIR was written relative to the
    working directory but served (send_file) relative to the package, so every image
    answered 500."""
    for name in PATH_SETTINGS:
        app.config[name] = str(Path(app.config[name]).expanduser().absolute())
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if url:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            if not parsed.database.startswith("file:"):
                absolute = str(Path(parsed.database).expanduser().absolute())
                url = parsed.set(database=absolute).render_as_string(hide_password=False)
                app.config["SQLALCHEMY_DATABASE_URI"] = url


def prepare_instance(app: Flask) -> None:
    """Create the instance folder (mode 700: it holds the password hashes and the secret
    key) and fill in the defaults that depend on it."""
    instance = Path(app.instance_path)
    try:
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        keep_private(instance, 0o700)
    except OSError as exc:
        raise StartupError(f"cannot create instance folder {instance}: {exc.strerror}") from exc
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'archive.db'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(instance / "secret_key")
    private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])


def keep_private(path: Path, mode: int) -> None:
    """Tighten a file or folder we own to `mode` (a folder made by an older version, or by a
    umask of 022, is readable by everyone)."""
    st = path.stat()
    if st.st_uid == os.getuid() and st.st_mode & 0o777 & ~mode:
        os.chmod(path, mode)
        logger.warning("made %s private (mode %o)", path, mode)


def private_sqlite_file(url: str) -> None:
    """Create a SQLite database file mode 600 before SQLite creates it world-readable; SQLite
    gives its -wal and -shm files the database file's mode."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if str(path).startswith("file:"):
        return
    if not path.parent.is_dir():
        return  # check_database names the missing folder
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if candidate.exists():
                keep_private(candidate, 0o600)
    except OSError as exc:
        raise StartupError(f"cannot create database file {path}: {exc.strerror}") from exc


def load_or_create_secret_key(path: Path) -> str:
    """Read the key kept in the instance folder, creating it (mode 600) on first start.

    The key is written to a temporary file and linked into place, so a process starting at
    the same moment reads either no file or the whole key, never an empty one.
    """
    if path.exists():
        return path.read_text().strip()
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-")  # mode 600
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)  # fails if another process got there first: use theirs
            logger.info("generated a new secret key in %s", path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    except OSError as exc:
        raise StartupError(f"cannot write secret key file {path}: {exc.strerror}") from exc
    return path.read_text().strip()


def check_timezone(name: str) -> None:
    """A default time zone that zoneinfo does not know would fail every new event later."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise StartupError(
            f"ARCHIVE_DEFAULT_TIMEZONE: {name!r} is not a known time zone "
            "(use an IANA name such as UTC or Asia/Baku)"
        ) from exc


def check_database(url: str) -> None:
    """Connect once so that a wrong URL fails now, with the URL (password hidden) named."""
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any driver error means the same thing to an operator
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise StartupError(f"cannot reach database {shown}: {reason}") from exc


OCR_MODES = ("auto", "off")


def check_ocr_setting(value: str) -> None:
    """ARCHIVE_OCR must say what it means: a typo must not silently turn recognition off."""
    if value not in OCR_MODES:
        raise StartupError(f"ARCHIVE_OCR={value!r}: use one of {', '.join(OCR_MODES)}")
