"""Fixes that came before their case opened, parked for a policy window (docs/domain.md §1).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "parked_fixes",
        sa.Column("event_id", UUID, primary_key=True),
        sa.Column("person_id", UUID, nullable=False, index=True),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("parked_at", TS, nullable=False),
        sa.Column("envelope", pg.JSONB, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("parked_fixes")
