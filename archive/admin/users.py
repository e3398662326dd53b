"""Accounts: list and filter, create, edit, reset a password, deactivate and reactivate."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from archive import accounts, audit
from archive.accounts import AccountError
from archive.admin.blueprint import bp
from archive.admin.forms import NewUserForm, PasswordResetForm, UserFilterForm, UserForm
from archive.auth.forms import EmptyForm
from archive.extensions import db
from archive.models import Organisation, User
from archive.web.forms import form_status, sentence


@bp.get("/users/")
def users():
    form = UserFilterForm(formdata=request.args)
    form.validate()
    query = (
        select(User)
        .outerjoin(User.organisation)
        .options(contains_eager(User.organisation))
        .order_by(func.lower(User.username))
    )
    if form.role.data and not form.role.errors:
        query = query.where(User.role == form.role.data)
    if text := (form.q.data or "").strip():
        query = query.where(
            or_(
                *(
                    column.icontains(text, autoescape=True)
                    for column in (User.username, User.display_name, Organisation.name)
                )
            )
        )
    return render_template("admin/users.html", users=db.session.scalars(query).all(), form=form)


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    form = NewUserForm()
    if not form.validate_on_submit():
        return render_template("admin/user_new.html", form=form), form_status()
    try:
        user = accounts.create_user(
            form.username.data,
            form.password.data,
            form.role.data,
            form.organisation_name(),
            form.display_name.data or "",
        )
    except AccountError as exc:
        db.session.rollback()
        flash(sentence(exc), "error")
        return render_template("admin/user_new.html", form=form), 400
    org = f" of {user.organisation.name}" if user.organisation else ""
    summary = f"{user.username} ({user.role}{org})"
    audit.record(current_user, "user.create", user, summary, ip=request.remote_addr)
    db.session.commit()
    flash(
        gettext(
            "Account %(name)s created. Give them their password in person.", name=user.username
        ),
        "success",
    )
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    # Prefill only on GET: a POST is judged by what it sent, never topped up from the row.
    form = UserForm(data=user_form_data(user)) if request.method == "GET" else UserForm()
    if not form.validate_on_submit():
        return render_user(user, form=form, status=form_status())
    try:
        changes = accounts.update_user(
            user,
            display_name=form.display_name.data or "",
            role=form.role.data,
            organisation=form.organisation_name(),
            actor=current_user,
        )
    except AccountError as exc:
        db.session.rollback()
        flash(sentence(exc), "error")
        return render_user(user, form=form, status=400)
    if not changes:
        flash(gettext("Nothing to change."), "info")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    action = "user.role" if any(c.startswith("role ") for c in changes) else "user.update"
    audit.record(current_user, action, user, "; ".join(changes), ip=request.remote_addr)
    db.session.commit()
    flash(
        gettext("Saved %(name)s: %(changes)s.", name=user.username, changes="; ".join(changes)),
        "success",
    )
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm()
    if user.id == current_user.id:
        flash(gettext("Change your own password on your profile page."), "error")
        return render_user(user, status=400)
    if not form.validate_on_submit():
        return render_user(user, password_form=form, status=400)
    accounts.set_password(user, form.password.data)
    audit.record(current_user, "user.password", user, "password reset", ip=request.remote_addr)
    db.session.commit()
    flash(
        gettext("New password set for %(name)s; their sessions have ended.", name=user.username),
        "success",
    )
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int):
    return change_active(user_id, active=False)


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id: int):
    return change_active(user_id, active=True)


def change_active(user_id: int, active: bool):
    user = db.get_or_404(User, user_id)
    if not EmptyForm().validate_on_submit():
        return render_user(user, status=400)
    try:
        accounts.set_active(user, active, actor=current_user)
    except AccountError as exc:
        flash(sentence(exc), "error")
        return render_user(user, status=400)
    action = "user.activate" if active else "user.deactivate"
    audit.record(current_user, action, user, user.username, ip=request.remote_addr)
    db.session.commit()
    if active:
        flash(gettext("%(name)s can sign in again.", name=user.username), "success")
    else:
        flash(
            gettext("%(name)s is deactivated and signed out everywhere.", name=user.username),
            "success",
        )
    return redirect(url_for("admin.edit_user", user_id=user.id))


def user_form_data(user: User) -> dict:
    return {
        "display_name": user.display_name,
        "role": user.role,
        "organisation": user.organisation.name if user.organisation else "",
    }


def render_user(user: User, form=None, password_form=None, status: int = 200):
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form or UserForm(formdata=None, data=user_form_data(user)),
        password_form=password_form or PasswordResetForm(formdata=None),
        button_form=EmptyForm(),
        is_self=user.id == current_user.id,
    ), status
