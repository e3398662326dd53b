"""The account, grant and event commands."""

from sqlalchemy import select

from archive import pipeline
from archive.extensions import db
from archive.fulltext import SearchRequest
from archive.models import ApiToken, AuditEntry, Event, Grant, User
from archive.permissions import search_scope
from archive.services import current_index


def test_users_create_reads_password_from_stdin(runner, app):
    result = runner.invoke(
        args=["users", "create", "olga", "--role", "partner", "--org", "OECD"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "olga"))
    assert user.role == "partner" and user.organisation.name == "OECD"
    assert user.check_password("a long enough password")
    assert "a long enough password" not in result.output
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create"))


def test_users_create_rejects_short_password_and_partner_without_org(runner):
    short = runner.invoke(args=["users", "create", "p1", "--role", "staff"], input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    no_org = runner.invoke(
        args=["users", "create", "p2", "--role", "partner"], input="long enough password\n"
    )
    assert no_org.exit_code == 1 and "needs an organisation" in no_org.output


def test_users_create_rejects_duplicate(runner, make_user):
    make_user("dup", "staff")
    result = runner.invoke(
        args=["users", "create", "DUP", "--role", "staff"], input="x" * 12 + "\n"
    )
    assert result.exit_code == 1 and "already exists" in result.output


def test_users_list_set_role_and_deactivate(runner, make_user):
    make_user("pavel", "researcher")
    assert runner.invoke(args=["users", "set-role", "pavel", "staff"]).exit_code == 0
    assert runner.invoke(args=["users", "deactivate", "pavel"]).exit_code == 0
    listing = runner.invoke(args=["users", "list"]).output
    assert "pavel" in listing and "staff" in listing and "deactivated" in listing
    unknown = runner.invoke(args=["users", "deactivate", "nobody"])
    assert unknown.exit_code == 1 and "no user named 'nobody'" in unknown.output


def test_users_token_prints_a_working_token_once(runner, make_user, client):
    make_user("quinn", "staff")
    result = runner.invoke(args=["users", "token", "quinn"])
    assert result.exit_code == 0
    secret = result.output.strip()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.json["username"] == "quinn"
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash != secret and secret.startswith(stored.prefix)


def test_events_create_and_grants(runner, make_user):
    result = runner.invoke(
        args=[
            "events",
            "create",
            "baku-2023",
            "--title",
            "e-Government Development",
            "--start",
            "2023-07-25",
            "--end",
            "2023-07-26",
            "--city",
            "Baku",
            "--tags",
            "e-Government, digital transformation",
        ]
    )
    assert result.exit_code == 0, result.output
    event = db.session.scalar(select(Event).where(Event.slug == "baku-2023"))
    assert event.city == "Baku" and event.tag_list == ["e-Government", "digital transformation"]
    assert runner.invoke(args=["grants", "add", "baku-2023", "UNDP"]).exit_code == 0
    assert db.session.scalar(select(Grant)).organisation.name == "UNDP"
    assert runner.invoke(args=["grants", "remove", "baku-2023", "UNDP"]).exit_code == 0
    assert db.session.scalar(select(Grant)) is None
    again = runner.invoke(args=["grants", "remove", "baku-2023", "UNDP"])
    assert again.exit_code == 1


def test_events_create_reports_bad_input(runner):
    bad_date = runner.invoke(
        args=["events", "create", "x-1", "--title", "T", "--start", "2023-13-01"]
    )
    assert bad_date.exit_code == 1 and "--start" in bad_date.output
    bad_slug = runner.invoke(args=["events", "create", "Bad Slug!", "--title", "T"])
    assert bad_slug.exit_code == 1 and "slug" in bad_slug.output
    reversed_dates = runner.invoke(
        args=[
            "events",
            "create",
            "x-2",
            "--title",
            "T",
            "--start",
            "2023-07-26",
            "--end",
            "2023-07-25",
        ]
    )
    assert reversed_dates.exit_code == 1 and "before the start" in reversed_dates.output


def test_grants_add_makes_the_event_searchable_for_the_partner_at_once(
    runner, make_user, make_event, make_presentation
):
    event = make_event("baku-2023", "Baku")
    deck = make_presentation(event, "Budget", pages=("zqxgrantword in the budget",))
    pipeline.index_items([deck.id])
    partner = make_user("paula", "partner", "UNDP")

    def found() -> list[int]:
        page = current_index().search(SearchRequest("zqxgrantword", search_scope(partner)))
        return [g.item_id for g in page.groups]

    assert found() == []
    assert runner.invoke(args=["grants", "add", "baku-2023", "UNDP"]).exit_code == 0
    assert found() == [deck.id]
    assert runner.invoke(args=["grants", "remove", "baku-2023", "UNDP"]).exit_code == 0
    assert found() == []
