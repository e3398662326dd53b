"""Limits on guessing share links, counted in the database so that they hold across every
web process and machine (as the sign-in limits of `archive.auth.limits` do).

Requests under /s/ that end in a 404 (a token that names no open link, an item the link
does not show) count against `ARCHIVE_SHARE_GUESS_LIMIT` per address; once it is reached,
every request of that address under /s/ is refused (429) until old misses leave the window.
Wrong passwords count against `ARCHIVE_SHARE_PASSWORD_LIMIT` per address and per link, so
that neither one address nor many addresses can try passwords of one link without end.
A miss is recorded after it happened; requests that run at the same moment may each pass
the check before either is recorded, so a limit can be exceeded by the requests in flight,
never more.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, select

from archive.auth.limits import Limit
from archive.extensions import db
from archive.models import ShareMiss
from archive.models.common import utcnow
from archive.startup import StartupError

GUESS, PASSWORD, LINK_PASSWORD = "guess:", "password:", "password-link:"


def init_app(app: Flask) -> None:
    """Stop start-up with one line when a share-link limit cannot be read."""
    for name in ("SHARE_GUESS_LIMIT", "SHARE_PASSWORD_LIMIT"):
        try:
            Limit.parse(app.config[name])
        except ValueError as exc:
            raise StartupError(f"ARCHIVE_{name}={app.config[name]!r}: {exc}") from exc


def guess_limit() -> Limit:
    return Limit.parse(current_app.config["SHARE_GUESS_LIMIT"])


def password_limit() -> Limit:
    return Limit.parse(current_app.config["SHARE_PASSWORD_LIMIT"])


def guesses_wait(address: str | None) -> int:
    """Seconds until this address may use /s/ again (0: it may now)."""
    return wait_for([GUESS + key_part(address)], guess_limit())


def passwords_wait(address: str | None, link_id: int) -> int:
    """Seconds until a password of this link may be tried again from this address."""
    keys = [PASSWORD + key_part(address), f"{LINK_PASSWORD}{link_id}"]
    return wait_for(keys, password_limit())


def record_guess(address: str | None) -> None:
    record([GUESS + key_part(address)])


def record_wrong_password(address: str | None, link_id: int) -> None:
    record([PASSWORD + key_part(address), f"{LINK_PASSWORD}{link_id}"])


def wait_for(keys: list[str], limit: Limit) -> int:
    """The longest wait any of `keys` imposes under `limit` (0 when none is full)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return 0
    now = utcnow()
    since = now - timedelta(seconds=limit.seconds)
    wait = 0
    for key in keys:
        count, oldest = db.session.execute(
            select(func.count(), func.min(ShareMiss.at)).where(
                ShareMiss.key == key, ShareMiss.at >= since
            )
        ).one()
        if count >= limit.amount:
            left = (oldest + timedelta(seconds=limit.seconds) - now).total_seconds()
            wait = max(wait, int(left) + 1)
    return wait


def record(keys: list[str]) -> None:
    """Count one miss under each key, dropping misses older than either limit's window;
    the caller commits."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    now = utcnow()
    longest = max(guess_limit().seconds, password_limit().seconds)
    db.session.execute(delete(ShareMiss).where(ShareMiss.at < now - timedelta(seconds=longest)))
    db.session.add_all(ShareMiss(at=now, key=key) for key in keys)


def key_part(address: str | None) -> str:
    return (address or "-")[:100]
