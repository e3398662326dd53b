"""Accounts, partner organisations and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from archive.extensions import db
from archive.models.common import utcnow
from archive.vocabulary import Role

ROLES = tuple(r.value for r in Role)
TOKEN_PREFIX = "wa_"  # noqa: S105 (a marker, not a secret)


class Organisation(db.Model):
    """A partner organisation (UNDP, OECD, ...); its members see the events granted to it."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Whether its partners may make share links to what they see (an admin decides).
    may_share: Mapped[bool] = mapped_column(default=False)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(UserMixin, db.Model):
    """A person who signs in; `session_nonce` changes to end every session of the account.

    `sign_in_secret` (not stored) names the sign-in this request belongs to
    (`archive.auth.signins`); it is part of the id kept in the session and remember cookie.
    """

    sign_in_secret: str = ""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    active: Mapped[bool] = mapped_column(default=True)
    session_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # The interface language chosen by the person (None: follow the browser).
    locale: Mapped[str | None] = mapped_column(String(10))

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.id"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """Session id: the sign-in it belongs to, and the nonce, so that signing out ends
        this sign-in and a password change ends them all."""
        return f"{self.id}:{self.session_nonce}:{self.sign_in_secret}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.session_nonce = secrets.token_hex(8)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Sign the account out everywhere at its next request."""
        self.session_nonce = secrets.token_hex(8)

    @property
    def label(self) -> str:
        return self.display_name or self.username


def hash_token(token: str) -> str:
    """Tokens are random, so a plain SHA-256 suffices (no salt or slow hash needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A personal token for `/api/v1`; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        """Create a token row and return it with the secret, which is shown once."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls(user=user, name=name, token_hash=hash_token(secret), prefix=secret[:10])
        return token, secret

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
