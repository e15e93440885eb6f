"""报到 as the office records it (contract §7.5): when the person reported, who recorded it and
their note, on the case; a repeat of the same record is answered with it, another is a 409.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("intake_reported_at", sa.DateTime(timezone=True)))
    op.add_column("cases", sa.Column("intake_recorded_by", sa.Text))
    op.add_column("cases", sa.Column("intake_note", sa.Text))


def downgrade() -> None:
    for column in ("intake_note", "intake_recorded_by", "intake_reported_at"):
        op.drop_column("cases", column)
