"""The device a court's order of electronic monitoring names, bound to the person while the case
is open (docs/domain.md §1, the device registry).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("device_id", sa.String(64)))


def downgrade() -> None:
    op.drop_column("cases", "device_id")
