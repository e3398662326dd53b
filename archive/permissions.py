"""The only home of access rules: who may see, download and edit what.

The same rules exist in three shapes so that no list, count, facet or search can disagree
with a single-object check: predicates for one object, SQL filters for queries, and an
`AccessScope` (defined in `archive.fulltext`) that the search backend turns into its filter.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, select, true

from archive.extensions import db
from archive.fulltext import AccessScope
from archive.models import (
    Event,
    Grant,
    Item,
    ItemState,
    Organisation,
    Role,
    ShareLink,
    Visibility,
    share_link_items,
)


def is_staff(user) -> bool:
    """Staff and admins see and edit everything."""
    return user.is_authenticated and user.role in (Role.ADMIN, Role.STAFF)


def is_admin(user) -> bool:
    return user.is_authenticated and user.role == Role.ADMIN


def may_manage_accounts(user) -> bool:
    return is_admin(user)


def is_partner(user) -> bool:
    """Partners see only the events granted to their organisation."""
    return user.is_authenticated and user.role == Role.PARTNER


def granted_event_ids(user) -> frozenset[int]:
    """Events open to a partner's organisation (empty for a partner without one)."""
    if user.organisation_id is None:
        return frozenset()
    rows = db.session.scalars(
        select(Grant.event_id).where(Grant.organisation_id == user.organisation_id)
    )
    return frozenset(rows)


def may_view_event(user, event: Event) -> bool:
    if not user.is_authenticated:
        return False
    if is_partner(user):
        return event.id in granted_event_ids(user)
    return True


def may_view_item(user, item: Item) -> bool:
    """Staff see every item in every state; others see ready items not marked staff-only."""
    if is_staff(user):
        return True
    if (
        not user.is_authenticated
        or item.visibility == Visibility.STAFF
        or item.status != ItemState.READY
    ):
        return False
    if is_partner(user):
        return item.event_id in granted_event_ids(user)
    return user.role == Role.RESEARCHER


def may_view(user, obj) -> bool:
    """Whether `user` may know that `obj` (an event or an item) exists at all."""
    if isinstance(obj, Event):
        return may_view_event(user, obj)
    if isinstance(obj, Item):
        return may_view_item(user, obj)
    return is_staff(user)


def may_download(user, item: Item) -> bool:
    """Whoever may see an item may download its original."""
    return may_view_item(user, item)


def may_edit(user, obj=None) -> bool:
    """Events and items are edited by staff (and admins)."""
    return is_staff(user)


def event_filter(user) -> ColumnElement[bool]:
    """SQL condition on `Event` for the events a user may see."""
    if is_partner(user):
        return Event.id.in_(granted_event_ids(user))
    if user.is_authenticated and user.role in (Role.ADMIN, Role.STAFF, Role.RESEARCHER):
        return true()
    return false()


def item_filter(user) -> ColumnElement[bool]:
    """SQL condition on `Item` (and subclasses) for the items a user may see."""
    if is_staff(user):
        return true()
    if not user.is_authenticated or user.role not in (Role.RESEARCHER, Role.PARTNER):
        return false()
    shared = and_(Item.visibility != Visibility.STAFF, Item.status == ItemState.READY)
    if is_partner(user):
        return and_(shared, Item.event_id.in_(granted_event_ids(user)))
    return shared


def search_scope(user) -> AccessScope:
    """The same rules as `item_filter`, in the shape the search engine applies."""
    if is_staff(user):
        return AccessScope(include_staff_only=True)
    if is_partner(user):
        return AccessScope(
            include_staff_only=False,
            event_ids=granted_event_ids(user),
            organisation_id=user.organisation_id if user.organisation_id is not None else -1,
        )
    if user.is_authenticated and user.role == Role.RESEARCHER:
        return AccessScope(include_staff_only=False)
    return AccessScope(include_staff_only=False, event_ids=frozenset())


# versions


def may_manage_versions(user, item: Item | None = None) -> bool:
    """Earlier versions are staff's: they upload, list, view, download and restore them;
    everyone else sees only the current version."""
    return is_staff(user)


# share links and bundles


def may_share(user) -> bool:
    """Staff share anything shareable; partners only when an admin allows it for their
    organisation; researchers never."""
    if is_staff(user):
        return True
    org = user.organisation if is_partner(user) else None
    return org is not None and org.may_share


def shareable_filter(user) -> ColumnElement[bool]:
    """SQL condition on `Item` for what a user may put in a share link: what they see,
    processed, and never staff-only (not even for staff)."""
    if not may_share(user):
        return false()
    return and_(
        item_filter(user), Item.visibility != Visibility.STAFF, Item.status == ItemState.READY
    )


def may_share_item(user, item: Item) -> bool:
    return (
        may_share(user)
        and may_view_item(user, item)
        and item.visibility != Visibility.STAFF
        and item.status == ItemState.READY
    )


def may_manage_link(user, link: ShareLink) -> bool:
    """A link's owner and the admins see its use and may revoke it."""
    return user.is_authenticated and (link.owner_id == user.id or is_admin(user))


def link_is_open(link: ShareLink, now) -> bool:
    """A link answers while it is not revoked, expired or used up, and only while its owner
    is active and still allowed to share (a deactivated partner's links stop at once)."""
    return (
        link.revoked_at is None
        and link.expires_at > now
        and link.downloads_left != 0
        and link.owner.active
        and may_share(link.owner)
    )


def link_item_filter(link: ShareLink) -> ColumnElement[bool]:
    """SQL condition on `Item` for what a link shows now: the chosen items that its owner may
    still share, so an item deleted, made staff-only or no longer granted drops out at once."""
    chosen = select(share_link_items.c.item_id).where(share_link_items.c.link_id == link.id)
    return and_(Item.id.in_(chosen), shareable_filter(link.owner))


def may_bundle_for(user, org: Organisation) -> bool:
    """Partners bundle what their own organisation sees; staff bundle for any organisation."""
    if is_staff(user):
        return True
    return is_partner(user) and user.organisation_id == org.id


def organisation_item_filter(org: Organisation) -> ColumnElement[bool]:
    """SQL condition on `Item` for what the partners of `org` see (the same rule as
    `item_filter` for a partner of that organisation)."""
    granted = select(Grant.event_id).where(Grant.organisation_id == org.id)
    return and_(
        Item.visibility != Visibility.STAFF,
        Item.status == ItemState.READY,
        Item.event_id.in_(granted),
    )


def may_make_bundles(user) -> bool:
    """Partners of an organisation download bundles of what it sees; staff make them for a
    partner organisation."""
    return is_staff(user) or (is_partner(user) and user.organisation_id is not None)


def may_view_programme(user, event: Event) -> bool:
    """An event's sessions and talks are part of its page; its decks and photos inside the
    programme still pass `item_filter` one by one."""
    return may_view_event(user, event)


def may_edit_programme(user, event: Event | None = None) -> bool:
    return is_staff(user)
