"""`GET /api/v1/search`: the search page's results as JSON, from the same code and rules.

Parameters as on the page (`q`, the facet filters `type`, `event`, `year`, `speaker`, `org`, `lang`,
`sort`, `page`) plus `per_page` (1-100). Results are grouped by presentation with the best
page and more matching pages, photos come apart, and facets, totals, the "did you mean"
suggestion and any notice are those the page shows. Snippets are HTML-escaped text with
`<mark>` as the only markup. Every URL in the answer works with the caller's token.
"""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from archive import searches
from archive.api.blueprint import bp
from archive.api.items import image_url, page_url, photo_url
from archive.fulltext import PageHit, PhotoHit, ResultGroup, SearchPage
from archive.fulltext.results import MAX_PER_PAGE


@bp.get("/search")
def search():
    per_page = min(max(request.args.get("per_page", searches.PER_PAGE, type=int) or 1, 1), 100)
    page = searches.run_search(request.args, current_user, min(per_page, MAX_PER_PAGE))
    terms = list(page.terms)
    return jsonify(
        query={
            "q": page.query_text,
            "filters": {k: list(v) for k, v in searches.facet_filters(request.args).items()},
            "sort": page.sort,
        },
        page=page.page,
        per_page=page.per_page,
        page_count=page.page_count,
        total_hits=page.total_hits,
        total_pages=page.total_hits - page.total_photos,
        total_presentations=page.total_groups,
        total_photos=page.total_photos,
        notice=page.notice,
        corrected_from=page.corrected_from,
        suggestion=suggestion_json(page),
        terms=terms,
        results=[group_json(group, terms) for group in page.groups],
        photos=[photo_json(photo) for photo in page.photos],
        facets={
            name: [
                {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                for v in values
            ]
            for name, values in page.facets.items()
        },
        links=pagination_links(page),
    )


def group_json(group: ResultGroup, terms: list[str]) -> dict:
    return {
        "item_id": group.item_id,
        "title": group.title,
        "speakers": list(group.speakers),
        "event": {
            "id": group.event_id,
            "slug": group.event_slug,
            "title": group.event_title,
            "url": url_for("api.get_event", slug=group.event_slug, _external=True),
        },
        "best_page": page_json(group.item_id, group.best, terms),
        "more_pages": [page_json(group.item_id, hit, terms) for hit in group.more],
        "more_count": group.more_count,
        "session": group.session_label,
        "links": {
            "self": url_for("api.get_item", item_id=group.item_id, _external=True),
            "download": url_for("api.download_item", item_id=group.item_id, _external=True),
        },
    }


def page_json(item_id: int, hit: PageHit, terms: list[str]) -> dict:
    return {
        "number": hit.page,
        "label": hit.label,
        "score": round(hit.score, 6),
        "snippet": str(hit.snippet),
        "thumbnail_url": image_url(item_id, hit.page, "thumb"),
        "image_url": image_url(item_id, hit.page, "preview"),
        "viewer_url": page_url(item_id, hit.page, terms),
        "first_page": hit.first_page,
        "recognised": hit.recognised,
    }


def photo_json(photo: PhotoHit) -> dict:
    return {
        "item_id": photo.item_id,
        "title": photo.title,
        "event_id": photo.event_id,
        "snippet": str(photo.snippet),
        "session": photo.session_label,
        "recognised": photo.recognised,
        "thumbnail_url": photo_url(photo.item_id, "grid"),
        "image_url": photo_url(photo.item_id, "lightbox"),
        "links": {
            "self": url_for("api.get_item", item_id=photo.item_id, _external=True),
            "download": url_for("api.download_item", item_id=photo.item_id, _external=True),
        },
    }


def suggestion_json(page: SearchPage) -> dict | None:
    if not page.suggestion:
        return None
    return {"q": page.suggestion, "url": search_url(q=page.suggestion)}


def pagination_links(page: SearchPage) -> dict[str, str]:
    links = {"self": search_url(page=page.page), "first": search_url(page=1)}
    links["last"] = search_url(page=page.page_count)
    if page.page > 1:
        links["prev"] = search_url(page=min(page.page - 1, page.page_count))
    if page.page < page.page_count:
        links["next"] = search_url(page=page.page + 1)
    return links


def search_url(**changes) -> str:
    """This search's URL with some parameters changed (a suggestion starts at page 1)."""
    args = MultiDict(request.args.items(multi=True))
    if "q" in changes:
        args = MultiDict({"q": changes.pop("q")})
    for key, value in changes.items():
        args[key] = str(value)
    return url_for("api.search", _external=True, **args.to_dict(flat=False))
