"""Request guards shared by the page blueprints and the API: sign-in, roles, and "load the
object, or 404" written once.

The rules themselves live in `archive.permissions`; these only apply them to the current
request, so that every view loads and checks in the same way. An object the user may not
see, or may not act on in the way the route asks (a researcher opening an item's edit page,
a partner asking for an ungranted event), answers exactly like an object that does not
exist: 404 with the same body. A 403 would tell a user which ids and slugs exist. Pages that
are not about one object (the upload form, a new event, administration) answer 403 to a
signed-in user without the role: they reveal nothing by existing. Every refusal is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from archive import permissions
from archive.extensions import db, login_manager
from archive.models import Event

T = TypeVar("T")
logger = logging.getLogger(__name__)


def require_login():
    """`before_request` hook: every page of a blueprint needs a signed-in user."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def staff_required(view):
    """Pages that are not about one object and that only staff and admins use."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not permissions.is_staff(current_user):
            refuse(403, "staff page")
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not permissions.is_admin(current_user):
            refuse(403, "admin page")
        return view(*args, **kwargs)

    return wrapped


def load_or_404(model: type[T], ident: int, may: Callable[[object, T], bool]) -> T:
    """The row of `model` with this id, or 404: also when `may(current_user, row)` is false."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return check_or_404(obj, may)


def load_event_or_404(slug: str, may: Callable[[object, Event], bool]) -> Event:
    """The event with this slug, or 404: also when `may(current_user, event)` is false."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        abort(404)
    return check_or_404(event, may)


def check_or_404(obj: T, may: Callable[[object, T], bool]) -> T:
    """`obj`, if `may(current_user, obj)`; else the same 404 as a missing object."""
    if not may(current_user, obj):
        refuse(404, f"{type(obj).__name__.lower()} {getattr(obj, 'id', '?')}")
    return obj


def refuse(status: int, what: str, message: str | None = None):
    """Log a refused request (who, what, from where) and answer `status` (with `message`)."""
    logger.warning(
        "refused %s %s (%s) to user %s from %s: %s",
        request.method,
        request.path,
        what,
        getattr(current_user, "id", None),
        request.remote_addr,
        message or ("not visible or not allowed" if status == 404 else "role not allowed"),
    )
    abort(status, message)
