"""Request guards shared by the page blueprints and the API: sign-in, roles, and "load the
object or 404, then check access" written once. What a user may not see answers exactly
like what does not exist (404); 403 is only for what they may see but not change.

The rules themselves live in `archive.permissions`; these only apply them to the current
request, so that every view loads and checks in the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from archive import permissions
from archive.extensions import db, login_manager
from archive.models import Event

T = TypeVar("T")


def require_login():
    """`before_request` hook: every page of a blueprint needs a signed-in user."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def staff_required(view):
    """Pages that change events and items: staff and admins only."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not permissions.is_staff(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not permissions.is_admin(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def load_or_404(model: type[T], ident: int, may: Callable[[object, T], bool]) -> T:
    """The row of `model` with this id, or 404; see `check_or_403` when `may` is false."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return check_or_403(obj, may)


def load_event_or_404(slug: str, may: Callable[[object, Event], bool]) -> Event:
    """The event with this slug, or 404; see `check_or_403` when `may` is false."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        abort(404)
    return check_or_403(event, may)


def check_or_403(obj: T, may: Callable[[object, T], bool]) -> T:
    """`obj` when `may(current_user, obj)`; else 404 if the user may not even see it, 403 if
    they may see it but not do this."""
    if not may(current_user, obj):
        abort(403 if permissions.may_view(current_user, obj) else 404)
    return obj
