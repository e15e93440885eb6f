"""信息补录 (docs/domain.md §2): what the office learned of a released person after arrival.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("handovers", sa.Column("supplement", pg.JSONB))


def downgrade() -> None:
    op.drop_column("handovers", "supplement")
