"""The presentation viewer: page thumbnails, the selected page as an image with its text
(the text layer, and the text recognised automatically where the layer was missing, thin or
unreadable), the query's words highlighted when arriving from search, a deep link per page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from archive import permissions
from archive.fulltext import highlight_text
from archive.guards import load_or_404, require_login
from archive.models import OcrReason, Page, Presentation
from archive.programme.facts import facts_for

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
    layer = page.text if page is not None and page.ocr_reason != OcrReason.UNREADABLE else ""
    text = highlight_text(layer, terms) if layer else ""
    recognised = highlight_text(page.ocr_text, terms) if page is not None and page.ocr_text else ""
    return render_template(
        "presentations/view.html",
        deck=deck,
        pages=pages,
        page=page,
        number=number,
        text=text,
        recognised=recognised,
        terms=terms,
        may_download=permissions.may_download(current_user, deck),
        may_edit=permissions.may_edit(current_user, deck),
        missing_page=wanted if pages and wanted > len(pages) else None,
        may_manage_versions=permissions.may_manage_versions(current_user, deck),
        programme_place=facts_for([deck]).get(deck.id),
    )
