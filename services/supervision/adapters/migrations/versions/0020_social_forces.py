"""Social forces (社会力量, docs/domain.md §2): the registry of social workers, volunteers and social
organisations, and the time each serves.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "social_forces",
        sa.Column("force_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("office", sa.Text, nullable=False, index=True),
        sa.Column("kind", sa.Text, nullable=False),  # social_worker | volunteer | organisation
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text),
        sa.Column("phone", sa.Text),
        sa.Column("account", sa.Text, index=True),  # 协矫通: the persons served are the teams naming it
        sa.Column("registered_by", sa.Text, nullable=False),
        sa.Column("registered_at", TS, nullable=False),
        sa.Column("left_on", sa.Date),
    )
    op.create_table(
        "social_force_hours",
        sa.Column("entry_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("force_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("on", sa.Date, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("social_force_hours")
    op.drop_table("social_forces")
