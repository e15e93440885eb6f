"""A revocation proposal's court ruling (docs/domain.md §1, 提请撤销): revoked or rejected, when,
under which number; none while the court's days run.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sanctions", sa.Column("ruling", sa.Text))
    op.add_column("sanctions", sa.Column("ruled_at", sa.DateTime(timezone=True)))
    op.add_column("sanctions", sa.Column("ruling_no", sa.Text))


def downgrade() -> None:
    for column in ("ruling_no", "ruled_at", "ruling"):
        op.drop_column("sanctions", column)
