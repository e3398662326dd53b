"""The presentation viewer: the page as an image with its text (the text layer, and the text
recognised automatically where the layer was missing, thin or unreadable), the thumbnail
strip, and, when arriving from a search, the matching pages marked, previous/next match, the
words highlighted and a way back to the same results. Every page has a deep link."""

from __future__ import annotations

import logging

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from archive import permissions
from archive.fulltext import highlight_text
from archive.fulltext.snippets import Highlighter
from archive.guards import load_or_404, require_login
from archive.ingest.render import word_boxes
from archive.models import ItemState, OcrReason, Page, Presentation
from archive.programme.facts import facts_for
from archive.services import current_index, current_storage
from archive.web.search import read_state

logger = logging.getLogger(__name__)
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
    state = read_state(request.args, page_arg="rpage")
    matched: tuple[int, ...] = ()
    terms = [t for t in request.args.getlist("hl") if t.strip()][:MAX_TERMS]  # older links
    if state.searched:
        found = current_index().match_pages(state.request(), deck.id)
        matched, terms = found.pages, list(found.terms)
    layer = page.text if page is not None and page.ocr_reason != OcrReason.UNREADABLE else ""
    recognised = page.ocr_text if page is not None and page.ocr_text else ""
    return render_template(
        "presentations/view.html",
        deck=deck,
        pages=pages,
        page=page,
        number=number,
        text=highlight_text(layer, terms) if layer else "",
        recognised=highlight_text(recognised, terms) if recognised else "",
        boxes=hit_boxes(deck, number, terms) if layer else [],
        state=state,
        matched=set(matched),
        match_count=len(matched),
        previous_match=max((p for p in matched if p < number), default=None),
        next_match=min((p for p in matched if p > number), default=None),
        page_link=url_for("presentations.view", item_id=deck.id, page=number, _external=True),
        may_download=permissions.may_download(current_user, deck),
        may_edit=permissions.may_edit(current_user, deck),
        missing_page=wanted if pages and wanted > len(pages) else None,
        may_manage_versions=permissions.may_manage_versions(current_user, deck),
        programme_place=facts_for([deck]).get(deck.id),
    )


def hit_boxes(deck: Presentation, number: int, terms: list[str]) -> list[list[float]]:
    """Where the matched words sit on the page image (fractions of its width and height);
    none when nothing is searched or the PDF cannot tell (the marks are a courtesy)."""
    if not terms or deck.status != ItemState.READY:
        return []
    highlighter = Highlighter(terms)
    try:
        with current_storage().original_file(deck.sha256) as path:
            return word_boxes(path, number, highlighter.is_hit)
    except Exception:  # noqa: BLE001 - a page that cannot be boxed still shows, unmarked
        logger.warning("item %d: no word boxes for page %d", deck.id, number, exc_info=True)
        return []
