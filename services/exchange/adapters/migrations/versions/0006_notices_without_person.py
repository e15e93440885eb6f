"""A procuratorate's notice may name no person (an office-wide 检察建议): its number and what goes
back for it are kept without one.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("agency_numbers", "person_id", nullable=True)
    op.alter_column("outbound", "person_id", nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM outbound WHERE person_id IS NULL")
    op.execute("DELETE FROM agency_numbers WHERE person_id IS NULL")
    op.alter_column("outbound", "person_id", nullable=False)
    op.alter_column("agency_numbers", "person_id", nullable=False)
