"""The administration start page: where each task lives."""

from flask import render_template

from archive.admin.blueprint import bp


@bp.get("/")
def index():
    return render_template("admin/index.html")
