"""A leave's life (docs/domain.md, "Leave"): applied for, approved or refused by the right level,
and returned from (销假). Leaves recorded before are approved ones.

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
    op.add_column("leaves", sa.Column("status", sa.Text, nullable=False, server_default="approved"))
    op.add_column("leaves", sa.Column("requested_by", sa.Text))
    op.add_column("leaves", sa.Column("decided_at", sa.DateTime(timezone=True)))
    op.add_column("leaves", sa.Column("declined_by", sa.Text))
    op.add_column("leaves", sa.Column("decline_reason", sa.Text))
    op.add_column("leaves", sa.Column("returned_at", sa.DateTime(timezone=True)))
    op.add_column("leaves", sa.Column("returned_by", sa.Text))
    op.alter_column("leaves", "approved_by", nullable=True)
    op.alter_column("leaves", "approval_level", nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM leaves WHERE status IN ('requested', 'declined')")
    op.alter_column("leaves", "approval_level", nullable=False)
    op.alter_column("leaves", "approved_by", nullable=False)
    for column in (
        "returned_by",
        "returned_at",
        "decline_reason",
        "declined_by",
        "decided_at",
        "requested_by",
        "status",
    ):
        op.drop_column("leaves", column)
