"""Where the model is unsure of a page's language, the script, the deck and the event decide;
a language corrected by staff reaches the pages and the index."""

from __future__ import annotations

from archive import materials
from archive.extensions import db
from archive.fulltext import AccessScope, SearchRequest
from archive.ingest.extract import PageExtract, PresentationExtract
from archive.ingest.pdf import PdfInfo
from archive.ingest.processing import settle_languages
from archive.services import current_index


def extract(*pages: tuple[str, str | None]) -> PresentationExtract:
    info = PdfInfo(page_count=len(pages))
    extracted = [
        PageExtract(number, str(number), text, language, None, None)
        for number, (text, language) in enumerate(pages, start=1)
    ]
    return PresentationExtract(info, extracted, has_text=True)


def test_a_short_russian_form_is_russian(app, make_event, make_presentation):
    deck = make_presentation(make_event(), language=None)
    result = extract(("Анкета участника", None), ("Дата подписи", None))
    assert settle_languages(deck, result) == ["ru", "ru"]


def test_the_event_language_decides_between_cyrillic_languages(app, make_event, make_presentation):
    event = make_event(language="kk")
    deck = make_presentation(event, "Form", language=None)
    result = extract(("Дата подписи", None), ("Digital government strategy 2024", "en"))
    # the deck's own confident page (en) cannot name Cyrillic text: the script says ru...
    assert settle_languages(deck, result) == ["ru", "en"]
    # ...while a deck of unsure Cyrillic pages takes the event's Cyrillic language
    result = extract(("Дата подписи", None), ("Список", None))
    assert settle_languages(deck, result) == ["kk", "kk"]


def test_the_model_stays_where_it_is_sure(app, make_event, make_presentation):
    deck = make_presentation(make_event(), language="ru")
    result = extract(("Welcome to the workshop on open data and budgets", "en"), ("", None))
    assert settle_languages(deck, result) == ["en", None]


def test_a_corrected_deck_language_relabels_its_pages_in_the_index(
    app, make_event, make_presentation
):
    deck = make_presentation(
        make_event(), "Форма", pages=("Дата подписи", "Opening remarks"), language="uk"
    )
    deck.pages[0].language = "uk"
    deck.pages[1].language = "en"
    db.session.commit()
    assert materials.update_item(deck, {"language": "ru"}) == ["language"]
    db.session.commit()
    materials.reindex_after_commit([deck.id])
    assert [p.language for p in deck.pages] == ["ru", "en"]
    scope = AccessScope(include_staff_only=True)
    found = current_index().search(SearchRequest("lang:ru", scope=scope))
    assert [(g.item_id, g.best.page, g.more_count) for g in found.groups] == [(deck.id, 1, 0)]
