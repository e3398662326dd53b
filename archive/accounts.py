"""Accounts, organisations and grants: the operations shared by the CLI and admin pages.

Functions add to the session and flush; the caller (a view or a command) commits.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from archive.extensions import db
from archive.fulltext.messages import Message
from archive.models import ROLES, ApiToken, Event, Grant, Organisation, Role, User

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,79}$")
MIN_PASSWORD = 10


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


def find_user(username: str) -> User | None:
    name = (username or "").strip().lower()
    return db.session.scalar(select(User).where(func.lower(User.username) == name))


def get_user(username: str) -> User:
    user = find_user(username)
    if user is None:
        raise AccountError(Message("no user named %(username)s", username=repr(username)))
    return user


def create_user(
    username: str,
    password: str,
    role: str,
    organisation: str | None = None,
    display_name: str = "",
) -> User:
    """Create an account; partners must belong to an organisation."""
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise AccountError(
            Message(
                "user names are 2-80 letters, digits or . _ @ -, starting with a letter or digit"
            )
        )
    if find_user(username) is not None:
        raise AccountError(
            Message("a user named %(username)s already exists", username=repr(username))
        )
    check_role(role, organisation)
    check_password(password)
    user = User(username=username, role=role, display_name=display_name.strip())
    user.set_password(password)
    if organisation:
        user.organisation = find_or_create_organisation(organisation)
    db.session.add(user)
    db.session.flush()
    return user


def check_role(role: str, organisation: str | None) -> None:
    if role not in ROLES:
        raise AccountError(
            Message(
                "unknown role %(role)s; choose one of %(choices)s",
                role=repr(role),
                choices=", ".join(ROLES),
            )
        )
    if role == Role.PARTNER and not organisation:
        raise AccountError(Message("a partner account needs an organisation"))


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(
            Message("passwords need at least %(count)s characters", count=MIN_PASSWORD)
        )


def set_role(user: User, role: str, organisation: str | None = None) -> None:
    org_name = organisation or (user.organisation.name if user.organisation else None)
    check_role(role, org_name)
    user.role = role
    if organisation:
        user.organisation = find_or_create_organisation(organisation)
    user.end_sessions()  # the new role applies from the next sign-in, everywhere


def set_password(user: User, password: str) -> None:
    check_password(password)
    user.set_password(password)


def set_active(user: User, active: bool, actor: User | None = None) -> None:
    """Allow or block sign-in; `actor` (an admin) may not deactivate their own account."""
    if not active and actor is not None and actor.id == user.id:
        raise AccountError(Message("You cannot deactivate your own account; ask another admin."))
    user.active = active
    if not active:
        user.end_sessions()


def set_display_name(user: User, display_name: str) -> None:
    name = (display_name or "").strip()
    if len(name) > 200:
        raise AccountError(Message("display names are at most 200 characters"))
    user.display_name = name


def update_user(
    user: User,
    *,
    display_name: str,
    role: str,
    organisation: str | None,
    actor: User | None = None,
) -> list[str]:
    """Apply an admin's edit and return the changes made; a new role or organisation ends the
    account's sessions, and an admin may not demote themselves."""
    organisation = (organisation or "").strip() or None
    check_role(role, organisation)
    if actor is not None and actor.id == user.id and role != user.role:
        raise AccountError(Message("You cannot change your own role; ask another admin."))
    changes = []
    if (display_name or "").strip() != user.display_name:
        set_display_name(user, display_name)
        changes.append(f"display name {user.display_name!r}")
    if role != user.role:
        changes.append(f"role {user.role} -> {role}")
        user.role = role
    old_org = user.organisation.name if user.organisation else None
    if (organisation or "").lower() != (old_org or "").lower():
        changes.append(f"organisation {old_org or '-'} -> {organisation or '-'}")
        user.organisation = find_or_create_organisation(organisation) if organisation else None
    if any(c.startswith(("role", "organisation")) for c in changes):
        user.end_sessions()  # access changed: every session signs in again
    db.session.flush()
    return changes


def issue_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token for `user`; the secret is returned once and never stored."""
    if not user.active:
        raise AccountError(Message("%(username)s is deactivated", username=user.username))
    token, secret = ApiToken.issue(user, name.strip() or "token")
    db.session.add(token)
    db.session.flush()
    return token, secret


def find_organisation(name: str) -> Organisation | None:
    key = (name or "").strip().lower()
    return db.session.scalar(select(Organisation).where(func.lower(Organisation.name) == key))


def create_organisation(name: str) -> Organisation:
    """A new partner organisation; names are unique regardless of case."""
    existing = find_organisation(name)
    if existing is not None:
        raise AccountError(
            Message("an organisation named %(name)s already exists", name=repr(existing.name))
        )
    return find_or_create_organisation(name)


def find_or_create_organisation(name: str) -> Organisation:
    name = name.strip()
    if not name or len(name) > 200:
        raise AccountError(Message("organisation names are 1-200 characters"))
    org = find_organisation(name)
    if org is None:
        org = Organisation(name=name)
        db.session.add(org)
        db.session.flush()
    return org


def add_grant(event: Event, organisation: Organisation) -> bool:
    """Open an event to a partner organisation; False when it already was."""
    if db.session.get(Grant, (event.id, organisation.id)) is not None:
        return False
    db.session.add(Grant(event=event, organisation=organisation))
    db.session.flush()
    return True


def remove_grant(event: Event, organisation: Organisation) -> bool:
    grant = db.session.get(Grant, (event.id, organisation.id))
    if grant is None:
        return False
    db.session.delete(grant)
    db.session.flush()
    return True
