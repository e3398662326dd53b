"""The access rules, checked as predicates, SQL filters and search scopes at once."""

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from archive import accounts, permissions
from archive.extensions import db
from archive.models import Event, Item


@pytest.fixture
def world(make_user, make_event, make_presentation, make_photo):
    granted = make_event("granted-event", "Granted")
    other = make_event("other-event", "Other")
    accounts.add_grant(granted, accounts.find_or_create_organisation("UNDP"))
    db.session.commit()
    items = {
        "granted_shared": make_presentation(granted, "A"),
        "granted_staff": make_presentation(granted, "B", visibility="staff"),
        "granted_photo": make_photo(granted, "C"),
        "other_shared": make_presentation(other, "D"),
        "other_staff": make_photo(other, "E", visibility="staff"),
        "granted_failed": make_presentation(granted, "F", status="failed"),
        "granted_queued": make_photo(granted, "G", status="queued"),
    }
    users = {
        "admin": make_user("ad", "admin"),
        "staff": make_user("st", "staff"),
        "researcher": make_user("re", "researcher"),
        "partner": make_user("pa", "partner", "UNDP"),
        "partner_other_org": make_user("po", "partner", "OECD"),
    }
    return {"events": {"granted": granted, "other": other}, "items": items, "users": users}


EVERY_ITEM = {
    "granted_shared",
    "granted_staff",
    "granted_photo",
    "other_shared",
    "other_staff",
    "granted_failed",
    "granted_queued",
}
EXPECTED_ITEMS = {  # only staff see items that are not ready (queued, failed)
    "admin": EVERY_ITEM,
    "staff": EVERY_ITEM,
    "researcher": {"granted_shared", "granted_photo", "other_shared"},
    "partner": {"granted_shared", "granted_photo"},
    "partner_other_org": set(),
}
EXPECTED_EVENTS = {
    "admin": {"granted", "other"},
    "staff": {"granted", "other"},
    "researcher": {"granted", "other"},
    "partner": {"granted"},
    "partner_other_org": set(),
}


@pytest.mark.parametrize("role", EXPECTED_ITEMS)
def test_predicates_and_sql_filters_agree(world, role):
    user = world["users"][role]
    by_id = {item.id: name for name, item in world["items"].items()}
    via_predicate = {n for n, i in world["items"].items() if permissions.may_view_item(user, i)}
    via_sql = {
        by_id[i] for i in db.session.scalars(select(Item.id).where(permissions.item_filter(user)))
    }
    assert via_predicate == via_sql == EXPECTED_ITEMS[role]
    downloads = {n for n, i in world["items"].items() if permissions.may_download(user, i)}
    assert downloads == EXPECTED_ITEMS[role]
    events = {n for n, e in world["events"].items() if permissions.may_view_event(user, e)}
    slugs = set(db.session.scalars(select(Event.slug).where(permissions.event_filter(user))))
    assert events == EXPECTED_EVENTS[role]
    assert slugs == {world["events"][n].slug for n in EXPECTED_EVENTS[role]}


@pytest.mark.parametrize("role", EXPECTED_ITEMS)
def test_search_scope_matches_the_sql_filter(world, role):
    user = world["users"][role]
    scope = permissions.search_scope(user)
    for name, item in world["items"].items():
        if item.status != "ready":
            continue  # only ready items are in the index at all
        in_scope = (
            (scope.include_staff_only or item.visibility != "staff")
            and (scope.event_ids is None or item.event_id in scope.event_ids)
            and (
                scope.organisation_id is None or scope.organisation_id in item.event.granted_org_ids
            )
        )
        assert in_scope == (name in EXPECTED_ITEMS[role]), name


def test_only_staff_edit_and_only_admins_manage_accounts(world):
    users = world["users"]
    assert [r for r, u in users.items() if permissions.may_edit(u)] == ["admin", "staff"]
    assert [r for r, u in users.items() if permissions.may_manage_accounts(u)] == ["admin"]


def test_anonymous_sees_nothing(world):
    anonymous = AnonymousUserMixin()
    assert not any(permissions.may_view_item(anonymous, i) for i in world["items"].values())
    assert db.session.scalars(select(Item).where(permissions.item_filter(anonymous))).all() == []
    assert permissions.search_scope(anonymous).event_ids == frozenset()


def test_deactivated_partner_loses_everything(world):
    partner = world["users"]["partner"]
    accounts.set_active(partner, False)
    assert not partner.is_active
