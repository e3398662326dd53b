"""text recognition (OCR): per-item state and progress, recognised page and photo text,
an event's main language

Revision ID: 0005
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ocr_state", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("ocr_pages_total", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ocr_pages_done", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ocr_languages", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("ocr_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("ocr_finished_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("ocr_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("ocr_unsure", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_items_ocr_state"), ["ocr_state"], unique=False)
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ocr_reason", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("ocr_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("ocr_unsure", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("ocr_confidence", sa.Double(), nullable=True))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        for name in ("ocr_confidence", "ocr_unsure", "ocr_text", "ocr_reason"):
            batch_op.drop_column(name)
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_ocr_state"))
        for name in (
            "ocr_unsure", "ocr_text", "ocr_finished_at", "ocr_error", "ocr_languages",
            "ocr_pages_done", "ocr_pages_total", "ocr_state",
        ):  # fmt: skip
            batch_op.drop_column(name)
