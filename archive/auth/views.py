"""Sign-in, sign-out and the profile page (password change, personal API tokens)."""

from __future__ import annotations

import logging
import secrets
from functools import cache
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from archive import audit
from archive.auth import limits, signins
from archive.auth.forms import EmptyForm, LoginForm, PasswordForm, TokenForm
from archive.extensions import db
from archive.models import ApiToken, User
from archive.models.common import utcnow

logger = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

BAD_LOGIN = lazy_gettext("Unknown user name or wrong password.")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        address, name = request.remote_addr, form.username.data
        admission = limits.admit(address, name)
        if admission.refused:
            return too_many_attempts(form, admission.retry_after)
        user = verify_credentials(name, form.password.data)
        if user is not None:
            limits.succeeded(admission, address, name)
            return sign_in(user, form.remember.data)
        logger.warning("failed sign-in for %r from %s", name, address)
        flash(str(BAD_LOGIN), "error")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 401


def sign_in(user: User, remember: bool):
    """Start a server-side sign-in for this browser, audit it, and set the cookies."""
    user.last_login_at = utcnow()
    signins.start(user, remember, request.remote_addr, request.headers.get("User-Agent"))
    audit.record(user, "login", user, ip=request.remote_addr)
    db.session.commit()
    login_user(user, remember=remember)
    return redirect(safe_next(request.args.get("next")))


def too_many_attempts(form: LoginForm, retry_after: int):
    minutes = max(1, round(retry_after / 60))
    flash(
        ngettext(
            "Too many sign-in attempts. Try again in %(num)d minute.",
            "Too many sign-in attempts. Try again in %(num)d minutes.",
            minutes,
        ),
        "error",
    )
    page = render_template("auth/login.html", form=form)
    return page, 429, {"Retry-After": str(retry_after)}


def verify_credentials(username: str, password: str) -> User | None:
    """The active account with this name and password, or None; always one password hash
    check, against a dummy hash for unknown names, so that the time taken does not tell
    which accounts exist (6 ms against 158 ms before)."""
    user = find_user(username)
    matches = check_password_hash(user.password_hash if user else dummy_hash(), password)
    return user if user is not None and matches and user.active else None


@cache
def dummy_hash() -> str:
    """A hash made the way real ones are (same method and cost) of a random password."""
    return generate_password_hash(secrets.token_urlsafe(16))


def find_user(username: str) -> User | None:
    name = (username or "").strip().lower()
    return db.session.scalar(select(User).where(func.lower(User.username) == name))


def safe_next(target: str | None) -> str:
    """Only a path on this site may follow sign-in; anything else goes home."""
    home = url_for("web.home")
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return home
    return target


@bp.post("/logout")
@login_required
def logout():
    """End this sign-in everywhere its cookies went (copies of them included)."""
    signins.end(current_user.sign_in_secret)
    audit.record(current_user, "logout", current_user, ip=request.remote_addr)
    db.session.commit()
    logout_user()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/profile")
@login_required
def profile():
    return render_profile()


def render_profile(new_token: str | None = None, status: int = 200):
    tokens = [t for t in current_user.tokens if not t.revoked]
    return render_template(
        "auth/profile.html",
        tokens=tokens,
        token_form=TokenForm(formdata=None),
        password_form=PasswordForm(formdata=None),
        button_form=EmptyForm(),
        new_token=new_token,
    ), status


@bp.post("/profile/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        flash(gettext("Give the token a name (up to 100 characters)."), "error")
        return render_profile(status=400)
    token, secret = ApiToken.issue(current_user, form.name.data.strip())
    db.session.add(token)
    audit.record(current_user, "token.create", token, summary=token.name, ip=request.remote_addr)
    db.session.commit()
    flash(gettext("Token created. Copy it now: it is shown only once."), "success")
    return render_profile(new_token=secret)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    token = db.get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        abort(404)
    token.revoked_at = utcnow()
    audit.record(current_user, "token.revoke", token, summary=token.name, ip=request.remote_addr)
    db.session.commit()
    flash(gettext("Token “%(name)s” revoked.", name=token.name), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/password")
@login_required
def change_password():
    form = PasswordForm()
    if not form.validate_on_submit() or not current_user.check_password(form.current.data):
        flash(
            gettext(
                "Password not changed: check the current password and repeat the new one "
                "(at least 10 characters)."
            ),
            "error",
        )
        return render_profile(status=400)
    current_user.set_password(form.new.data)
    audit.record(current_user, "password.change", current_user, ip=request.remote_addr)
    db.session.commit()
    # The user object, not the proxy: a proxy stored as the user would resolve to itself.
    login_user(current_user._get_current_object())  # keep this session; others end
    flash(gettext("Password changed. Other sessions of this account are signed out."), "success")
    return redirect(url_for("auth.profile"))
