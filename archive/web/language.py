"""Switching the interface language, from every page (signed in or not).

The choice is kept in the session and, for a signed-in person, in their profile, so that it
follows them to other browsers; "automatic" forgets it and the browser's language applies.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, session
from flask_login import current_user

from archive.auth.views import safe_next
from archive.extensions import db
from archive.i18n import SESSION_KEY

bp = Blueprint("language", __name__)
AUTOMATIC = ""


@bp.post("/language")
def switch():
    choice = request.form.get("locale", None)
    if choice is None or (choice != AUTOMATIC and choice not in current_app.config["LANGUAGES"]):
        abort(400)
    if choice == AUTOMATIC:
        session.pop(SESSION_KEY, None)
    else:
        session[SESSION_KEY] = choice
    if current_user.is_authenticated:
        current_user.locale = choice or None
        db.session.commit()
    return redirect(safe_next(request.form.get("next")))
