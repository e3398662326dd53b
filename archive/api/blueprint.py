"""The API blueprint and its authentication: bearer tokens, or a session plus CSRF."""

from flask import Blueprint, current_app, request
from flask_login import current_user

from archive.auth.login import authenticate_token, is_token_request
from archive.extensions import csrf, login_manager

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@bp.before_request
def authenticate():
    """Tokens need no CSRF token; a browser session does, for anything that changes state."""
    if authenticate_token(request) is False or not current_user.is_authenticated:
        return login_manager.unauthorized()
    csrf_on = current_app.config.get("WTF_CSRF_ENABLED", True)
    if csrf_on and not is_token_request() and request.method not in SAFE_METHODS:
        csrf.protect()
    return None
