"""Sign-in, sign-out and the profile page (password change, personal API tokens)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from archive import audit
from archive.auth.forms import EmptyForm, LoginForm, PasswordForm, TokenForm
from archive.extensions import db, limiter
from archive.models import ApiToken, User
from archive.models.common import utcnow

logger = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

BAD_LOGIN = lazy_gettext("Unknown user name or wrong password.")


def login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def login_account_key() -> str:
    return "account:" + request.form.get("username", "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(login_limit, methods=["POST"], key_func=login_account_key)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.username.data)
        if user is not None and user.active and user.check_password(form.password.data):
            user.last_login_at = utcnow()
            audit.record(user, "login", user, ip=request.remote_addr)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        logger.warning("failed sign-in for %r from %s", form.username.data, request.remote_addr)
        flash(str(BAD_LOGIN), "error")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 401


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
