"""The event programme: sessions, talks, speakers, decks on talks, camera clock offsets,
photos placed by hand; each event's time zone; a photo's UTC offset and camera serial.

Existing photos keep their capture time; their UTC offset and camera serial stay empty
until `flask --app archive programme read-exif` reads them from the originals (placement works
meanwhile, in the event's time zone). Existing events get ARCHIVE_DEFAULT_TIMEZONE.

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-29 16:13:58.942098

"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None


def configured_timezone() -> str:
    """The deployment's default zone (migrations run inside the app: `flask db upgrade`)."""
    try:
        return current_app.config.get("DEFAULT_TIMEZONE") or "UTC"
    except RuntimeError:  # outside an app context (plain alembic)
        return "UTC"


def upgrade():
    op.create_table(
        "camera_offsets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("camera_make", sa.String(length=100), nullable=False),
        sa.Column("camera_model", sa.String(length=100), nullable=False),
        sa.Column("camera_serial", sa.String(length=100), nullable=False),
        sa.Column("offset_seconds", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_camera_offsets_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_offsets")),
        sa.UniqueConstraint(
            "event_id",
            "camera_make",
            "camera_model",
            "camera_serial",
            name=op.f("uq_camera_offsets_event_id"),
        ),
    )
    op.create_table(
        "programme_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("room", sa.String(length=200), nullable=False),
        sa.Column("chairs", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("search_terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_programme_sessions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_sessions")),
    )
    with op.batch_alter_table("programme_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_sessions_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "talks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_talks_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talks")),
    )
    with op.batch_alter_table("talks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talks_session_id"), ["session_id"], unique=False)

    op.create_table(
        "photo_placements",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("placed_by_id", sa.Integer(), nullable=True),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_photo_placements_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["placed_by_id"],
            ["users.id"],
            name=op.f("fk_photo_placements_placed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_photo_placements_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_photo_placements")),
    )
    with op.batch_alter_table("photo_placements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_photo_placements_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "talk_decks",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("talk_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_talk_decks_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["talk_id"], ["talks.id"], name=op.f("fk_talk_decks_talk_id_talks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_talk_decks")),
    )
    with op.batch_alter_table("talk_decks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talk_decks_talk_id"), ["talk_id"], unique=False)

    op.create_table(
        "talk_speakers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("talk_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["talk_id"],
            ["talks.id"],
            name=op.f("fk_talk_speakers_talk_id_talks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talk_speakers")),
    )
    with op.batch_alter_table("talk_speakers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talk_speakers_talk_id"), ["talk_id"], unique=False)

    # Plain ADD COLUMN, never a batch copy: SQLite would drop and recreate `events` and
    # `items`, and with foreign keys on, dropping them cascades to every item and page.
    op.add_column(
        "events", sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False)
    )
    op.add_column("items", sa.Column("taken_offset_minutes", sa.Integer(), nullable=True))
    op.add_column("items", sa.Column("camera_serial", sa.String(length=100), nullable=True))
    # Existing events were entered in the configured zone, not necessarily UTC.
    op.execute(sa.text("UPDATE events SET timezone = :zone").bindparams(zone=configured_timezone()))


def downgrade():
    # Dependent tables first; columns dropped in place (SQLite 3.35+), never by a batch copy
    # of `items` or `events`, which would cascade to their rows (see upgrade).
    for table, index in (
        ("talk_speakers", "ix_talk_speakers_talk_id"),
        ("talk_decks", "ix_talk_decks_talk_id"),
        ("photo_placements", "ix_photo_placements_session_id"),
        ("talks", "ix_talks_session_id"),
        ("programme_sessions", "ix_programme_sessions_event_id"),
    ):
        op.drop_index(index, table_name=table)
        op.drop_table(table)
    op.drop_table("camera_offsets")
    op.drop_column("items", "camera_serial")
    op.drop_column("items", "taken_offset_minutes")
    op.drop_column("events", "timezone")
