"""Jinja filters shared by the page templates."""

from __future__ import annotations

from flask import Flask

UNITS = ("KB", "MB", "GB", "TB", "PB")


def init_app(app: Flask) -> None:
    app.add_template_filter(filesize)


def filesize(size: int | None) -> str:
    """Bytes as a short human-readable size (1024-based, as MAX_UPLOAD_MB counts them)."""
    if size is None:
        return "–"
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in UNITS:
        value /= 1024
        if value < 1024 or unit == UNITS[-1]:
            break
    return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
