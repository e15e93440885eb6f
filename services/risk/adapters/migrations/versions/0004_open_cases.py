"""The cases a person has open: a profile leaves the monthly cycle only when the last one closes
(a person may hold two at once, docs/domain.md §1).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "profiles", sa.Column("open_cases", pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False, server_default="{}")
    )


def downgrade() -> None:
    op.drop_column("profiles", "open_cases")
