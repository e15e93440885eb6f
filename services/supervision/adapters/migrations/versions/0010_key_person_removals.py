"""Whom an office took off the month's proposed key-person list, and why (docs/domain.md §1,
一月一认定); lists confirmed before took no one off.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("key_person_lists", sa.Column("removed", pg.JSONB, nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("key_person_lists", "removed")
