"""The audit log: newest first, 50 a page, filtered by actor, action, target type,
organisation, event and date; the same selection exported as CSV.

Downloads carry an organisation, an event and item ids (`archive.downloads`), so organisers
can answer "which organisation downloaded what, when" with the filters and the export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, time, timedelta

from flask import Response, render_template, request, stream_with_context
from sqlalchemy import ColumnElement, Select, select
from wtforms import SelectChoice

from archive.admin.blueprint import bp
from archive.admin.forms import AuditFilterForm
from archive.downloads import DOWNLOAD_ACTIONS
from archive.extensions import db
from archive.models import AuditEntry, Event

PER_PAGE = 50
CSV_BATCH = 500
CSV_COLUMNS = (
    "when_utc",
    "actor",
    "organisation",
    "action",
    "route",
    "event",
    "item_ids",
    "target",
    "summary",
    "ip",
)


@bp.get("/audit/")
def audit_log():
    form = filter_form()
    page = db.paginate(
        filtered(form), page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
        error_out=False,
    )  # fmt: skip
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    events = dict(db.session.execute(select(Event.id, Event.slug)).all())
    return render_template(
        "admin/audit_log.html", form=form, page=page, filters=filters, events=events
    )


@bp.get("/audit/export.csv")
def audit_export():
    """Every entry the filters select, as CSV, written row by row while it is sent."""
    query = filtered(filter_form())
    events = dict(db.session.execute(select(Event.id, Event.slug)).all())
    response = Response(stream_with_context(csv_rows(query, events)), mimetype="text/csv")
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def filter_form() -> AuditFilterForm:
    """The filters from the query string, offering only values the log holds."""
    form = AuditFilterForm(formdata=request.args)
    # The download actions are always offered: "no downloads yet" must filter to nothing,
    # not fall back to every entry.
    actions = sorted(set(distinct(AuditEntry.action)) | set(DOWNLOAD_ACTIONS))
    form.action.choices += [SelectChoice(a) for a in actions]
    form.target_type.choices += [SelectChoice(t) for t in distinct(AuditEntry.target_type)]
    form.organisation.choices += [SelectChoice(o) for o in distinct(AuditEntry.organisation)]
    form.event.choices += [
        SelectChoice(str(e.id), e.slug)
        for e in db.session.scalars(select(Event).order_by(Event.slug))
    ]
    form.validate()
    return form


def filtered(form: AuditFilterForm) -> Select:
    return (
        select(AuditEntry)
        .where(*audit_conditions(form))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )


def distinct(column) -> list[str]:
    return [v for v in db.session.scalars(select(column).distinct().order_by(column)) if v]


def audit_conditions(form: AuditFilterForm) -> list[ColumnElement[bool]]:
    """SQL conditions for the filters that were filled in and valid; others are ignored."""
    conditions = []
    if (actor := (form.actor.data or "").strip()) and not form.actor.errors:
        conditions.append(AuditEntry.actor_name.icontains(actor, autoescape=True))
    for field, column in (
        (form.action, AuditEntry.action),
        (form.target_type, AuditEntry.target_type),
        (form.organisation, AuditEntry.organisation),
    ):
        if field.data and not field.errors:
            conditions.append(column == field.data)
    if form.event.data and not form.event.errors:
        conditions.append(AuditEntry.event_id == int(form.event.data))
    if form.date_from.data and not form.date_from.errors:
        conditions.append(AuditEntry.at >= datetime.combine(form.date_from.data, time.min))
    if form.date_to.data and not form.date_to.errors:
        end = datetime.combine(form.date_to.data + timedelta(days=1), time.min)
        conditions.append(AuditEntry.at < end)
    return conditions


def csv_rows(query: Select, events: dict[int, str]) -> Iterator[str]:
    """The header, then one CSV line per entry, read from the database in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in db.session.scalars(query.execution_options(yield_per=CSV_BATCH)):
        writer.writerow(csv_row(entry, events))
        yield take(buffer)
    yield take(buffer)


def csv_row(entry: AuditEntry, events: dict[int, str]) -> list[str]:
    target = f"{entry.target_type} {entry.target_id}" if entry.target_type else ""
    cells = [
        entry.at.strftime("%Y-%m-%d %H:%M:%S"),
        entry.actor_name,
        entry.organisation or "",
        entry.action,
        entry.route or "",
        events.get(entry.event_id, str(entry.event_id or "")),
        " ".join(str(i) for i in entry.item_ids or ()),
        target.strip(),
        entry.summary,
        entry.ip or "",
    ]
    return [spreadsheet_safe(cell) for cell in cells]


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ would start a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def take(buffer: io.StringIO) -> str:
    data = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return data
