"""Guards shared by the page blueprints: sign-in for everything, roles where needed."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from archive import permissions
from archive.extensions import login_manager


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
