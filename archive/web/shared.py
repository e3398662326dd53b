"""What a share link opens, without an account: /s/<token>.

Only the link's items are reachable here (thumbnails, the viewer, downloads, a ZIP of all),
and nothing else of the archive: no search, no events, no navigation, no session. A token
that is malformed, unknown, revoked, expired or used up, an item the link does not show,
or a locked link's files, all answer the same 404 page. Requests that end in a 404 count
against `ARCHIVE_SHARE_GUESS_LIMIT` per address, wrong passwords against
`ARCHIVE_SHARE_PASSWORD_LIMIT` per address and per link. Every visit, unlock and download
is in the audit log with the address; photos go without their GPS position.

A password, once given, is remembered by a signed cookie that only this link's URLs
receive (12 hours); its form is protected against cross-site posts by a double-submit
cookie, because there is no session to hold a CSRF token.
"""

from __future__ import annotations

import hmac
import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext, ngettext
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException

from archive import linklimits, shares
from archive.errors import describe
from archive.extensions import csrf, db
from archive.fulltext import highlight_text
from archive.models import Item, ItemKind, Presentation, ShareLink
from archive.models.common import utcnow
from archive.outgoing import outgoing_file
from archive.sending import IMAGE_MAX_AGE
from archive.services import current_storage
from archive.storage import PAGE_FILES, PHOTO_FILES, mime_of_derived, page_file, photo_file
from archive.web.bundling import build_bundle, load_items, zip_response

bp = Blueprint("shared", __name__, url_prefix="/s")
csrf.exempt(bp)  # no session here: the password form has its own double-submit token

UNLOCK_COOKIE, CSRF_COOKIE = "share_unlock", "share_form"
UNLOCK_MAX_AGE = 12 * 3600


@bp.before_request
def refuse_guessers():
    """An address that met the guess limit gets nothing under /s/ until its misses age."""
    wait = linklimits.guesses_wait(request.remote_addr)
    if wait:
        return too_many(wait)
    return None


def too_many(wait: int):
    message = ngettext(
        "Too many attempts from your address. Try again in %(num)d minute.",
        "Too many attempts from your address. Try again in %(num)d minutes.",
        max(1, -(-wait // 60)),
    )
    response = current_app.make_response(
        (render_template("shared/error.html", code=429, message=message), 429)
    )
    response.headers["Retry-After"] = str(wait)
    return response


@bp.after_request
def private_headers(response):
    """Nothing here may be cached by others, indexed, or leak the token in a Referer; a 404
    counts as a guess."""
    if response.status_code == 404:
        linklimits.record_guess(request.remote_addr)
        db.session.commit()
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.errorhandler(404)
def not_found(_exc):
    """One page, byte for byte, for every 404 of a link: nothing tells them apart."""
    return render_template("shared/gone.html"), 404


@bp.errorhandler(HTTPException)
def other_error(exc: HTTPException):
    """Other errors (too many attempts, a bad form) in the link's own plain page: the site's
    error page would start a session and show its navigation."""
    return render_template("shared/error.html", code=exc.code, message=describe(exc)), exc.code


@bp.route("/", defaults={"anything": ""}, methods=["GET", "POST"])
@bp.route("/<path:anything>", methods=["GET", "POST"])
def nothing(anything: str):
    """Any other address under /s/ is the same 404 as an unknown link (not the site's)."""
    abort(404)


def open_link(token: str, unlocked: bool = True) -> ShareLink:
    """The open link, or the uniform 404; with `unlocked`, its password must have been given."""
    link = shares.find_open_link(token, utcnow())
    if link is None or (unlocked and not is_unlocked(link, token)):
        abort(404)
    return link


@bp.get("/<token>")
def page(token: str):
    link = open_link(token, unlocked=False)
    if not is_unlocked(link, token):
        return password_page(link, token)
    if request.method == "GET":  # a HEAD (a link preview, a mail scanner) is no visit
        shares.record_use(link, "share.visit", request.remote_addr)
        db.session.commit()
    items = shares.link_items(link)
    decks = [i for i in items if i.kind == ItemKind.PRESENTATION]
    photos = [i for i in items if i.kind == ItemKind.PHOTO]
    return render_template("shared/page.html", link=link, token=token, decks=decks, photos=photos)


@bp.post("/<token>")
def unlock(token: str):
    link = open_link(token, unlocked=False)
    wait = linklimits.passwords_wait(request.remote_addr, link.id)
    if wait:
        return too_many(wait)
    sent, expected = request.form.get("form_token", ""), request.cookies.get(CSRF_COOKIE, "")
    if not (expected and hmac.compare_digest(sent, expected)):
        return password_page(
            link, token, gettext("The form expired; enter the password again."), 400
        )
    if not shares.password_matches(link, request.form.get("password", "")):
        shares.record_use(link, "share.password_failed", request.remote_addr)
        linklimits.record_wrong_password(request.remote_addr, link.id)
        db.session.commit()
        return password_page(link, token, gettext("That is not the password of this link."), 401)
    shares.record_use(link, "share.unlock", request.remote_addr)
    db.session.commit()
    response = redirect(url_for("shared.page", token=token))
    response.set_cookie(
        UNLOCK_COOKIE,
        serializer().dumps({"link": link.id, "pw": link.password_hash[-16:]}),
        max_age=UNLOCK_MAX_AGE,
        path=url_for("shared.page", token=token),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )
    return response


def password_page(link: ShareLink, token: str, error: str = "", status: int = 200):
    form_token = secrets.token_urlsafe(24)
    html = render_template(
        "shared/password.html", link=link, token=token, form_token=form_token, error=error
    )
    response = current_app.make_response((html, status))
    response.set_cookie(
        CSRF_COOKIE,
        form_token,
        path=url_for("shared.page", token=token),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )
    return response


def serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="share-link-unlock")


def is_unlocked(link: ShareLink, token: str) -> bool:
    """A link without a password is open; one with needs this link's signed cookie."""
    if link.password_hash is None:
        return True
    try:
        data = serializer().loads(request.cookies.get(UNLOCK_COOKIE, ""), max_age=UNLOCK_MAX_AGE)
    except BadSignature:
        return False
    return data.get("link") == link.id and data.get("pw") == link.password_hash[-16:]


def load_item(token: str, item_id: int) -> tuple[ShareLink, Item]:
    link = open_link(token)
    item = shares.link_item(link, item_id)
    if item is None:
        abort(404)
    return link, item


@bp.get("/<token>/items/<int:item_id>")
def item(token: str, item_id: int):
    """A deck in the viewer (page by page, with its text) or a photo at full size."""
    link, item = load_item(token, item_id)
    if "page" not in request.args:
        shares.record_use(link, "share.view", request.remote_addr, f"item {item.id}")
        db.session.commit()
    if not isinstance(item, Presentation):
        return render_template("shared/photo.html", link=link, token=token, item=item)
    pages = item.pages
    number = min(max(request.args.get("page", 1, type=int), 1), max(len(pages), 1))
    current = pages[number - 1] if pages else None
    return render_template(
        "shared/viewer.html",
        link=link,
        token=token,
        deck=item,
        pages=pages,
        page=current,
        number=number,
        text=highlight_text(current.text, []) if current else "",
    )


@bp.get("/<token>/items/<int:item_id>/pages/<int:number>/<size>")
def page_image(token: str, item_id: int, number: int, size: str):
    _, item = load_item(token, item_id)
    if size not in PAGE_FILES or not isinstance(item, Presentation):
        abort(404)
    return send_image(item, page_file(number, size))


@bp.get("/<token>/items/<int:item_id>/photo/<size>")
def photo_image(token: str, item_id: int, size: str):
    _, item = load_item(token, item_id)
    if size not in PHOTO_FILES or item.kind != ItemKind.PHOTO:
        abort(404)
    return send_image(item, photo_file(size))


def send_image(item: Item, name: str):
    path = current_storage().derived_file(item.id, name)
    if path is None:
        abort(404)
    return send_file(path, mimetype=mime_of_derived(name), max_age=IMAGE_MAX_AGE)


@bp.get("/<token>/items/<int:item_id>/download")
def download(token: str, item_id: int):
    """The item's file (a photo without its position), counted against the link's limit."""
    link, item = load_item(token, item_id)
    file = outgoing_file(item)
    if file is None or not counted_download(link):
        abort(404)
    if request.method == "GET":
        summary = f"item {item.id}: {file.name}"
        shares.record_use(link, "share.download", request.remote_addr, summary)
        db.session.commit()
    return send_file(
        file.open(),
        mimetype=file.mime,
        as_attachment=True,
        download_name=file.name,
        max_age=0,
    )


def counted_download(link: ShareLink) -> bool:
    """Take a download from the link's allowance; a HEAD request downloads nothing."""
    return request.method == "HEAD" or shares.count_download(link)


@bp.get("/<token>/download.zip")
def download_all(token: str):
    """Every item of the link as one ZIP with an index: one download of the allowance."""
    link = open_link(token)
    items = shares.link_items(link)
    if not items or not counted_download(link):
        abort(404)
    bundle = build_bundle(
        load_items([i.id for i in items]),
        gettext("Shared with %(recipient)s", recipient=link.recipient),
        link.recipient,
    )
    if request.method == "GET":
        ids = ", ".join(str(i.id) for i in items)
        summary = f"ZIP of {len(bundle.included)} item(s): {ids}"
        shares.record_use(link, "share.download_zip", request.remote_addr, summary[:1900])
        db.session.commit()
    return zip_response(bundle, "shared-materials.zip")
