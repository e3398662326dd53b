"""Jinja filters shared by the page templates."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext

from archive.i18n import local_number
from archive.web import labels

UNITS = ("KB", "MB", "GB", "TB", "PB")


def init_app(app: Flask) -> None:
    app.add_template_filter(filesize)
    labels.init_app(app)


def filesize(size: int | None) -> str:
    """Bytes as a short human-readable size (1024-based, as MAX_UPLOAD_MB counts them)."""
    if size is None:
        return "–"
    if size < 1024:
        return gettext("%(num)s B", num=size)
    value = float(size)
    for unit in UNITS:
        value /= 1024
        if value < 1024 or unit == UNITS[-1]:
            break
    number = local_number(value, "#,##0.0" if value < 100 else "#,##0")
    return f"{number} {unit_name(unit)}"


def unit_name(unit: str) -> str:
    names = {
        "KB": gettext("KB"),
        "MB": gettext("MB"),
        "GB": gettext("GB"),
        "TB": gettext("TB"),
        "PB": gettext("PB"),
    }
    return names[unit]
