"""Contact checks (失联核查): the office's attempt to reach a person after the contact window
(docs/domain.md §1).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contact_checks",
        sa.Column("check_id", UUID, primary_key=True),
        sa.Column("person_id", UUID, nullable=False, index=True),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("cause", sa.Text, nullable=False, unique=True),
        sa.Column("basis", sa.Text, nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("result_due", TS, nullable=False),
        sa.Column("outcome", sa.Text),
        sa.Column("recorded_by", sa.Text),
        sa.Column("recorded_at", TS),
        sa.Column("note", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("contact_checks")
