"""Server-side records of sign-ins, and the sign-in attempts that rate limits count.

A `SignIn` is one successful sign-in on one browser. Its id travels in the session and in the
"keep me signed in" cookie; signing out ends the row, so every copy of those cookies stops
working at once, wherever it was copied to. A row also holds the client it is bound to and
the moment it expires (30 days at most with "keep me signed in").

A `SignInAttempt` is one sign-in form submission waiting for, or refused by, its password
check. Counting rows in the database makes a limit hold across every web process (and every
machine on PostgreSQL) with nothing to install.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from archive.extensions import db
from archive.models.common import utcnow


class SignIn(db.Model):
    """One browser's sign-in; only the hash of its secret id is stored."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    remember: Mapped[bool] = mapped_column(default=False)
    client: Mapped[str] = mapped_column(String(128), default="")
    address: Mapped[str | None] = mapped_column(String(64))


class SignInAttempt(db.Model):
    """A sign-in form submission, counted against the limits until it grows old."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_account_at", "account", "at"),
        Index("ix_sign_in_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    address: Mapped[str] = mapped_column(String(64))
    account: Mapped[str] = mapped_column(String(80))
