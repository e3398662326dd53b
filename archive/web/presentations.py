"""The presentation viewer: page thumbnails, the selected page as an image with its text,
the query's words highlighted when arriving from search, and a deep link per page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from archive import permissions
from archive.fulltext import highlight_text
from archive.guards import load_or_404, require_login
from archive.models import Page, Presentation

bp = Blueprint("presentations", __name__, url_prefix="/presentations")
bp.before_request(require_login)

MAX_TERMS = 20


@bp.get("/<int:item_id>")
def view(item_id: int):
    deck = load_or_404(Presentation, item_id, permissions.may_view_item)
    pages = deck.pages
    # A bookmarked ?page=N names a page of the current version; a shorter new version shows
    # its last page and says why.
    wanted = request.args.get("page", 1, type=int)
    number = min(max(wanted, 1), max(len(pages), 1))
    page: Page | None = pages[number - 1] if pages else None
    terms = [t for t in request.args.getlist("hl") if t.strip()][:MAX_TERMS]
    text = highlight_text(page.text, terms) if page is not None else ""
    return render_template(
        "presentations/view.html",
        deck=deck,
        pages=pages,
        page=page,
        number=number,
        text=text,
        terms=terms,
        may_download=permissions.may_download(current_user, deck),
        may_edit=permissions.may_edit(current_user, deck),
        missing_page=wanted if pages and wanted > len(pages) else None,
        may_manage_versions=permissions.may_manage_versions(current_user, deck),
    )
