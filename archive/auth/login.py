"""How a request becomes a user: the session cookie for pages, a bearer token for the API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, redirect, request, url_for
from flask_babel import lazy_gettext
from sqlalchemy import select

from archive.auth import signins
from archive.extensions import db, login_manager
from archive.models import ApiToken, User
from archive.models.common import utcnow
from archive.models.users import hash_token

logger = logging.getLogger(__name__)


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please sign in to continue.")
    login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Accept a session or remember cookie only for a live sign-in from this client, of an
    active account whose nonce is unchanged (see `archive.auth.signins`)."""
    user_id, nonce, secret = (session_id.split(":") + ["", "", ""])[:3]
    if not user_id.isdigit() or not nonce or not secret:
        return None
    return signins.load(
        int(user_id), nonce, secret, request.remote_addr, request.headers.get("User-Agent")
    )


def authenticate_token(req) -> bool | None:
    """Authenticate `Authorization: Bearer TOKEN` (API routes only).

    Returns None when the request carries no bearer token, else whether the token was
    accepted. Tokens win over any session cookie; Flask-Login's request_loader is not used
    because its session protection returns early for cookie-carrying requests.
    """
    scheme, _, secret = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = None
    if secret.strip():
        token = db.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == hash_token(secret.strip()))
        )
    if token is None or token.revoked or not token.user.active:
        logger.info("rejected API token from %s", req.remote_addr)
        login_manager._update_request_context_with_user(None)
        return False
    token.last_used_at = utcnow()
    db.session.commit()
    req.environ["archive.token_auth"] = True
    login_manager._update_request_context_with_user(token.user)
    return True


def is_token_request() -> bool:
    """True when the current request was authenticated by an API token (no CSRF needed)."""
    return bool(request.environ.get("archive.token_auth"))


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        response = jsonify(error="authentication required", code="unauthorized")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="workshop-archive"'
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
