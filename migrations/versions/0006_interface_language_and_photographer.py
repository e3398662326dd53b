"""The interface language of each account; the photographer of each photo.

Revision ID: 0006
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=10), nullable=True))
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("photographer", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("items") as batch:
        batch.drop_column("photographer")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locale")
