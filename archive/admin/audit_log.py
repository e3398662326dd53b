"""The audit log: newest first, 50 a page, filtered by actor, action, target type and date."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import ColumnElement, select
from wtforms import SelectChoice

from archive.admin.blueprint import bp
from archive.admin.forms import AuditFilterForm
from archive.extensions import db
from archive.models import AuditEntry

PER_PAGE = 50


@bp.get("/audit/")
def audit_log():
    form = AuditFilterForm(formdata=request.args)
    form.action.choices += [SelectChoice(a) for a in distinct(AuditEntry.action)]
    form.target_type.choices += [SelectChoice(t) for t in distinct(AuditEntry.target_type)]
    form.validate()
    query = (
        select(AuditEntry)
        .where(*audit_conditions(form))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    page = db.paginate(
        query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False
    )
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/audit_log.html", form=form, page=page, filters=filters)


def distinct(column) -> list[str]:
    return [v for v in db.session.scalars(select(column).distinct().order_by(column)) if v]


def audit_conditions(form: AuditFilterForm) -> list[ColumnElement[bool]]:
    """SQL conditions for the filters that were filled in and valid; others are ignored."""
    conditions = []
    if (actor := (form.actor.data or "").strip()) and not form.actor.errors:
        conditions.append(AuditEntry.actor_name.icontains(actor, autoescape=True))
    if form.action.data and not form.action.errors:
        conditions.append(AuditEntry.action == form.action.data)
    if form.target_type.data and not form.target_type.errors:
        conditions.append(AuditEntry.target_type == form.target_type.data)
    if form.date_from.data and not form.date_from.errors:
        conditions.append(AuditEntry.at >= datetime.combine(form.date_from.data, time.min))
    if form.date_to.data and not form.date_to.errors:
        end = datetime.combine(form.date_to.data + timedelta(days=1), time.min)
        conditions.append(AuditEntry.at < end)
    return conditions
