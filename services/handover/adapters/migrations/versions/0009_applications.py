"""A released person's own application for assistance (自愿申请帮教, docs/domain.md §2): counted in
the agreements' coverage beside key persons.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("handovers", sa.Column("applied_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("handovers", "applied_at")
