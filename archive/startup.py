"""Start-up checks: the instance folder, the secret key, the data folders and the database.

Each failure stops the process with one line naming the path or URL, because a traceback
at start-up tells an operator less than "cannot write to /srv/archive/uploads".
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)


class StartupError(SystemExit):
    """Raised to stop start-up; the message is printed as the process's only output."""

    def __init__(self, message: str):
        super().__init__(f"workshop-archive: {message}")


def prepare_instance(app: Flask) -> None:
    """Create the instance folder and fill in the defaults that depend on it."""
    instance = Path(app.instance_path)
    try:
        instance.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(f"cannot create instance folder {instance}: {exc.strerror}") from exc
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'archive.db'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(instance / "secret_key")


def load_or_create_secret_key(path: Path) -> str:
    """Read the key kept in the instance folder, creating it (mode 600) on first start."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    except OSError as exc:
        raise StartupError(f"cannot write secret key file {path}: {exc.strerror}") from exc
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    logger.info("generated a new secret key in %s", path)
    return key


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
