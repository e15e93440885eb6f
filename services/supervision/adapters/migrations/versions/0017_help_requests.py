"""Help requests (docs/domain.md §1): from the person's app or recorded by the office, each a task
for the office with its deadline, answered by the office or passed to civil affairs.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "help_requests",
        sa.Column("request_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("office", sa.Text, nullable=False, index=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.Text),  # helped | declined | referred; none while open
        sa.Column("answered_by", sa.Text),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("answer_note", sa.Text),
        sa.Column("civil_affairs", pg.JSONB),  # civil affairs' decision, for a referred request
    )


def downgrade() -> None:
    op.drop_table("help_requests")
