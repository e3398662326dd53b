"""Server-side sign-ins: each browser's sign-in is a row that signing out ends.

The session cookie and the "keep me signed in" cookie carry the user's id, the account's
session nonce and a random sign-in secret (only its hash is stored). A request is signed
in only while that row exists, has not ended or expired, belongs to the user and was made
from the same client (address and browser) as the sign-in. So a cookie copied before
sign-out, or replayed from another address or browser, signs no one in; changing a
password or deactivating an account still ends every sign-in through the nonce.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, select

from archive.extensions import db
from archive.models import SignIn, User
from archive.models.common import utcnow

KEEP_ENDED = timedelta(days=7)  # ended and expired rows are removed after this


def client_of(address: str | None, user_agent: str | None) -> str:
    """What a sign-in is bound to: the client's address and browser, hashed."""
    return hashlib.sha256(f"{address or ''}|{user_agent or ''}".encode()).hexdigest()


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(user: User, remember: bool, address: str | None, user_agent: str | None) -> str:
    """Record a new sign-in and return its secret (set as `user.sign_in_secret`)."""
    now = utcnow()
    config = current_app.config
    lifetime = (
        timedelta(days=config["REMEMBER_DAYS"])
        if remember
        else timedelta(hours=config["SESSION_HOURS"])
    )
    secret = secrets.token_urlsafe(24)
    db.session.add(
        SignIn(
            token_hash=token_hash(secret),
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
            remember=remember,
            client=client_of(address, user_agent),
            address=address,
        )
    )
    forget_old(now)
    user.sign_in_secret = secret
    return secret


def load(user_id: int, nonce: str, secret: str, address, user_agent) -> User | None:
    """The user of a live sign-in made from this client, or None."""
    sign_in = db.session.scalar(select(SignIn).where(SignIn.token_hash == token_hash(secret)))
    if (
        sign_in is None
        or sign_in.user_id != user_id
        or sign_in.ended_at is not None
        or sign_in.expires_at <= utcnow()
        or not secrets.compare_digest(sign_in.client, client_of(address, user_agent))
    ):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or not secrets.compare_digest(user.session_nonce, nonce):
        return None
    user.sign_in_secret = secret
    return user


def end(secret: str | None) -> None:
    """Sign-out: this sign-in ends for every copy of its cookies (the caller commits)."""
    if secret:
        sign_in = db.session.scalar(select(SignIn).where(SignIn.token_hash == token_hash(secret)))
        if sign_in is not None and sign_in.ended_at is None:
            sign_in.ended_at = utcnow()


def forget_old(now) -> None:
    """Remove rows that ended or expired long ago, so that the table stays small."""
    cutoff = now - KEEP_ENDED
    db.session.execute(
        delete(SignIn).where(or_(SignIn.expires_at < cutoff, SignIn.ended_at < cutoff))
    )
