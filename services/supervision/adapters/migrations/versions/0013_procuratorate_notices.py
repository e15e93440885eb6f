"""The procuratorate's notices (检察建议, 纠正违法通知) to a justice office, docs/domain.md §1: each a
task with its reply deadline, and the office's reply.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "procuratorate_notices",
        sa.Column("notice_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("notice_no", sa.Text, nullable=False),
        sa.Column("procuratorate", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("office", sa.Text, nullable=False, index=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), index=True),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply_due", sa.Date, nullable=False),
        sa.Column("reply", sa.Text),
        sa.Column("replied_at", sa.DateTime(timezone=True)),
        sa.Column("replied_by", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("procuratorate_notices")
