"""The admin blueprint and its guard."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from archive import permissions
from archive.guards import refuse, require_login

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_admin():
    """Every admin route: sign-in first, then 403 for anyone who is not an admin."""
    response = require_login()
    if response is None and not permissions.may_manage_accounts(current_user):
        refuse(403, "admin page")
    return response


@bp.app_context_processor
def admin_flags() -> dict:
    """Lets `base.html` and event pages show admin links to admins only."""
    return {"may_administer": permissions.may_manage_accounts(current_user)}
