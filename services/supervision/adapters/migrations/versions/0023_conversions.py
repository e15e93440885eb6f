"""挂牌转化 (docs/domain.md §1): a key person's conversion, opened when an office's monthly list
first names them, at the office's level or raised to the county's (市镇两级挂牌); its measures,
its progress, and its end.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversions",
        sa.Column("conversion_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("office", sa.Text, nullable=False, index=True),
        sa.Column("level", sa.Text, nullable=False),  # office | county
        sa.Column("opened_month", sa.Text, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target_zh", sa.Text, nullable=False),
        sa.Column("reasons", pg.JSONB, nullable=False),
        sa.Column("measures", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("responsible", sa.Text),
        sa.Column("progress", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("county_listing", pg.JSONB),  # who raised it to the county's list, when, why
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_by", sa.Text),
        sa.Column("outcome", sa.Text),  # converted | case_closed
        sa.Column("close_note", sa.Text),
    )
    # one conversion open per case at a time
    op.create_index(
        "conversions_open_case", "conversions", ["case_id"], unique=True, postgresql_where=sa.text("closed_at IS NULL")
    )


def downgrade() -> None:
    op.drop_index("conversions_open_case", table_name="conversions")
    op.drop_table("conversions")
