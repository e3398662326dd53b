"""Share links: made for a named recipient, found by their token, counted, revoked.

Who may share what, and when a link still answers, are rules of `archive.permissions`;
this module keeps the tokens. A token is a 16-character selector and a 43-character
verifier (`secrets.token_urlsafe`, 352 random bits in all); only the verifier's SHA-256 is
stored and it is compared in constant time, and `find_open_link` answers None alike for a
malformed, unknown, wrong, revoked, expired or used-up token. Functions flush; the caller
commits (and audits where a person acts).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from archive import audit, permissions
from archive.extensions import db
from archive.fulltext.messages import Message
from archive.models import Item, ShareLink, User
from archive.models.common import utcnow

SELECTOR_BYTES, VERIFIER_BYTES = 12, 32
SELECTOR_LENGTH, TOKEN_LENGTH = 16, 59
TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
DUMMY_HASH = hashlib.sha256(b"no such link").hexdigest()
MIN_PASSWORD, MAX_RECIPIENT, MAX_MESSAGE, MAX_DOWNLOADS = 8, 200, 2000, 100_000


class ShareError(ValueError):
    """A link that cannot be made as asked; the message names the field and the reason."""


@dataclass(frozen=True)
class LinkRequest:
    """What the owner asks for: items, recipient, last day, and the optional safeguards."""

    item_ids: tuple[int, ...]
    recipient: str
    expires_on: date
    password: str = ""
    max_downloads: int | None = None
    message: str = ""


@dataclass(frozen=True)
class NewLink:
    """A created link and its token, which exists only here: it is shown once."""

    link: ShareLink
    token: str


@dataclass(frozen=True)
class LinkHolder:
    """Whoever opens a link, as the audit log's actor (no account: no id)."""

    link: ShareLink

    id = None

    @property
    def username(self) -> str:
        return f"link {self.link.id} ({self.link.recipient})"[:80]


def hash_verifier(verifier: str) -> str:
    """The verifier is random, so a plain SHA-256 suffices (no salt or slow hash needed)."""
    return hashlib.sha256(verifier.encode()).hexdigest()


def last_allowed_day(today: date, max_days: int) -> date:
    return today + timedelta(days=max_days)


def create_link(owner: User, request: LinkRequest, max_days: int, max_items: int) -> NewLink:
    """Check the request against the owner's rights and the limits, then add the link."""
    recipient = request.recipient.strip()
    if not recipient:
        raise ShareError(Message("name the recipient (who the link is for)"))
    if len(recipient) > MAX_RECIPIENT or len(request.message) > MAX_MESSAGE:
        raise ShareError(Message("the recipient or the message is too long"))
    items = shareable_items(owner, request.item_ids, max_items)
    today = utcnow().date()
    if request.expires_on < today:
        raise ShareError(Message("the expiry date is in the past"))
    if request.expires_on > (last_day := last_allowed_day(today, max_days)):
        raise ShareError(
            Message(
                "a link lasts at most %(num)s days (until %(date)s)", num=max_days, date=last_day
            )
        )
    if request.password and len(request.password) < MIN_PASSWORD:
        raise ShareError(
            Message("a link password needs at least %(num)s characters", num=MIN_PASSWORD)
        )
    if request.max_downloads is not None and not 1 <= request.max_downloads <= MAX_DOWNLOADS:
        raise ShareError(
            Message("the download limit is a number from 1 to %(num)s", num=MAX_DOWNLOADS)
        )
    selector = secrets.token_urlsafe(SELECTOR_BYTES)
    verifier = secrets.token_urlsafe(VERIFIER_BYTES)
    link = ShareLink(
        selector=selector,
        verifier_hash=hash_verifier(verifier),
        owner=owner,
        recipient=recipient,
        message=request.message.strip(),
        expires_at=datetime.combine(request.expires_on + timedelta(days=1), time.min),
        password_hash=generate_password_hash(request.password) if request.password else None,
        max_downloads=request.max_downloads,
        items=items,
    )
    db.session.add(link)
    db.session.flush()
    return NewLink(link, selector + verifier)


def shareable_items(owner: User, item_ids: tuple[int, ...], max_items: int) -> list[Item]:
    """The requested items, all of which the owner must be allowed to share; an item the
    owner may not see is named like one that does not exist."""
    ids = sorted(set(item_ids))
    if not ids:
        raise ShareError(Message("choose at least one presentation or photo"))
    if len(ids) > max_items:
        raise ShareError(Message("a link holds at most %(num)s items", num=max_items))
    found = db.session.scalars(
        select(Item).where(Item.id.in_(ids), permissions.shareable_filter(owner))
    ).all()
    missing = sorted(set(ids) - {item.id for item in found})
    if missing:
        raise ShareError(
            Message(
                "item(s) %(ids)s cannot be shared: they do not exist, are not processed yet, "
                "or are for staff only",
                ids=", ".join(map(str, missing)),
            )
        )
    return sorted(found, key=lambda item: item.id)


def find_open_link(token: str, now: datetime) -> ShareLink | None:
    """The open link this token names, or None, whatever the reason (see module docstring)."""
    well_formed = len(token) == TOKEN_LENGTH and set(token) <= TOKEN_ALPHABET
    selector, verifier = token[:SELECTOR_LENGTH], token[SELECTOR_LENGTH:]
    link = None
    if well_formed:
        link = db.session.scalar(select(ShareLink).where(ShareLink.selector == selector))
    expected = link.verifier_hash if link is not None else DUMMY_HASH
    matches = hmac.compare_digest(expected, hash_verifier(verifier))
    if link is None or not matches or not permissions.link_is_open(link, now):
        return None
    return link


def link_items(link: ShareLink) -> list[Item]:
    """What the link shows now, decks first, then photos, each in a stable order."""
    items = db.session.scalars(select(Item).where(permissions.link_item_filter(link))).all()
    return sorted(items, key=lambda i: (i.kind != "presentation", i.display_title.lower(), i.id))


def link_item(link: ShareLink, item_id: int) -> Item | None:
    """One item of the link, or None when the link does not (or no longer) show it."""
    return db.session.scalar(
        select(Item).where(Item.id == item_id, permissions.link_item_filter(link))
    )


def password_matches(link: ShareLink, password: str) -> bool:
    return link.password_hash is not None and check_password_hash(link.password_hash, password)


def count_download(link: ShareLink) -> bool:
    """Take one download from the link's allowance, atomically; False when none is left
    (two simultaneous last downloads cannot both pass)."""
    left = or_(ShareLink.max_downloads.is_(None), ShareLink.downloads < ShareLink.max_downloads)
    result = db.session.execute(
        update(ShareLink)
        .where(ShareLink.id == link.id, left)
        .values(downloads=ShareLink.downloads + 1, last_used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def record_use(link: ShareLink, action: str, ip: str | None, summary: str = "") -> None:
    """Audit a visit or a download through the link, with the address; visits are counted."""
    if action == "share.visit":
        link.visits += 1
        link.last_used_at = utcnow()
    text = f"for {link.recipient}" + (f": {summary}" if summary else "")
    audit.record(LinkHolder(link), action, link, summary=text, ip=ip)


def revoke(link: ShareLink, by: User) -> bool:
    """End a link at once; False when it was already revoked."""
    if link.revoked_at is not None:
        return False
    link.revoked_at, link.revoked_by = utcnow(), by
    return True


def links_of(user: User) -> list[ShareLink]:
    """A user's links, newest first; admins see everyone's."""
    query = select(ShareLink).order_by(ShareLink.created_at.desc(), ShareLink.id.desc())
    if not permissions.is_admin(user):
        query = query.where(ShareLink.owner_id == user.id)
    return list(db.session.scalars(query))
