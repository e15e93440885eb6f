"""Supervision's tables (SQLAlchemy Core)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("jurisdiction", sa.Text, nullable=False),
    sa.Column("source_ref", sa.Text, nullable=False, unique=True),  # order/notice number: one case per document
    sa.Column("sentence_kind", sa.Text),
    sa.Column("offence_category", sa.Text),
    sa.Column("term_start", sa.Date),
    sa.Column("term_end", sa.Date),
    sa.Column("electronic_monitoring", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("permitted_area", pg.JSONB),  # null: the county
    sa.Column("exclusion_zones", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("person_masked", pg.JSONB, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("level", sa.Text),  # 严管 strict | 普管 ordinary | 宽管 lenient
    sa.Column("risk_level", sa.Text),  # the latest risk result
    sa.Column("community_rehabilitation", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("closed_at", sa.DateTime(timezone=True)),  # ended, revoked or transferred
    sa.Column("device_id", sa.String(64)),  # a court's order of electronic monitoring names it
    # 报到 as the office recorded it (contract §7.5)
    sa.Column("intake_reported_at", sa.DateTime(timezone=True)),
    sa.Column("intake_recorded_by", sa.Text),
    sa.Column("intake_note", sa.Text),
)

zone_state = sa.Table(
    "zone_state",
    metadata,
    sa.Column("person_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("outside_episode", pg.UUID(as_uuid=True)),
    sa.Column("last_fix_at", sa.DateTime(timezone=True)),
    sa.Column("last_outside", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("tampered", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("in_zones", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("lon", sa.Float),
    sa.Column("lat", sa.Float),
    sa.Column("accuracy_m", sa.Float),
)

# The live position state's checkpoints: per location partition, the next offset the persisted
# zone states cover (migration 0021; services/supervision/positions.py).
stream_checkpoints = sa.Table(
    "stream_checkpoints",
    metadata,
    sa.Column("group_id", sa.Text, primary_key=True),
    sa.Column("topic", sa.Text, primary_key=True),
    sa.Column("partition", sa.Integer, primary_key=True),
    sa.Column("next_offset", sa.BigInteger, nullable=False),
    sa.Column("checkpointed_at", sa.DateTime(timezone=True), nullable=False),
)

# A person's day track for the map: one fix per policy interval, and every fix that changed a verdict.
track_points = sa.Table(
    "track_points",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("accuracy_m", sa.Float, nullable=False),
    sa.Column("outside", sa.Boolean, nullable=False),
    sa.Index("ix_track_person_time", "person_id", "recorded_at"),
)

timeline = sa.Table(
    "timeline",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("event_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("summary", pg.JSONB, nullable=False),
)

leaves = sa.Table(
    "leaves",
    metadata,
    sa.Column("leave_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("approved_by", sa.Text),  # while requested or declined: none
    sa.Column("approval_level", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    # requested → approved | declined; approved → returned (销假) (migration 0009)
    sa.Column("status", sa.Text, nullable=False, server_default="approved"),
    sa.Column("requested_by", sa.Text),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("declined_by", sa.Text),
    sa.Column("decline_reason", sa.Text),
    sa.Column("returned_at", sa.DateTime(timezone=True)),
    sa.Column("returned_by", sa.Text),
)

sanctions = sa.Table(
    "sanctions",
    metadata,
    sa.Column("sanction_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),  # admonition 训诫 | warning 警告 | revocation_proposal
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    # A revocation proposal's court ruling (migration 0011): revoked | rejected, none while pending.
    sa.Column("ruling", sa.Text),
    sa.Column("ruled_at", sa.DateTime(timezone=True)),
    sa.Column("ruling_no", sa.Text),
)


positioning_orders = sa.Table(
    "positioning_orders",
    metadata,  # 电子定位: apart from phone checks
    sa.Column("positioning_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("ground", sa.Text, nullable=False),
    sa.Column("approved_by", sa.Text, nullable=False),
    sa.Column("device_id", sa.Text, nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date, nullable=False),
    sa.Column("renewals", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("status", sa.Text, nullable=False),  # active | ended
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

followups = sa.Table(
    "followups",
    metadata,  # 后续照管回访
    sa.Column("followup_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),  # phone | visit
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("drug_test", sa.Text, nullable=False),
    sa.Column("police_record", sa.Boolean, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
)

trips = sa.Table(
    "trips",
    metadata,  # 社区康复: trips out of the county
    sa.Column("trip_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("leaves_on", sa.Date, nullable=False),
    sa.Column("returns_on", sa.Date, nullable=False),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("reported", sa.Boolean, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
)

team_members = sa.Table(
    "team_members",
    metadata,  # 矫正小组
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("sex", sa.Text, nullable=False),
    sa.Column("account", sa.Text, nullable=True),  # 协矫通: the member's platform account
    sa.Index("team_members_account", "account"),
)

contact_checks = sa.Table(
    "contact_checks",
    metadata,  # 失联核查: after the contact window, the office's attempt to reach the person
    sa.Column("check_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("cause", sa.Text, nullable=False, unique=True),
    sa.Column("basis", sa.Text, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("result_due", sa.DateTime(timezone=True), nullable=False),
    sa.Column("outcome", sa.Text),
    sa.Column("recorded_by", sa.Text),
    sa.Column("recorded_at", sa.DateTime(timezone=True)),
    sa.Column("note", sa.Text),
)

parked_fixes = sa.Table(
    "parked_fixes",
    metadata,  # fixes that came before their case opened (docs/domain.md §1)
    sa.Column("event_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("envelope", pg.JSONB, nullable=False),
)

key_person_lists = sa.Table(
    "key_person_lists",
    metadata,  # 一月一认定
    sa.Column("office", sa.Text, primary_key=True),
    sa.Column("month", sa.Text, primary_key=True),
    sa.Column("confirmed_by", sa.Text, nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("persons", pg.JSONB, nullable=False),
    sa.Column("removed", pg.JSONB, nullable=False, server_default="[]"),  # taken off the proposal, why
)

conversions = sa.Table(
    "conversions",
    metadata,  # 挂牌转化 of key persons (as migration 0023; services/supervision/conversions.py)
    sa.Column("conversion_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("office", sa.Text, nullable=False, index=True),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("opened_month", sa.Text, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("target_zh", sa.Text, nullable=False),
    sa.Column("reasons", pg.JSONB, nullable=False),
    sa.Column("measures", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("responsible", sa.Text),
    sa.Column("progress", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("county_listing", pg.JSONB),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("closed_by", sa.Text),
    sa.Column("outcome", sa.Text),
    sa.Column("close_note", sa.Text),
    sa.Index("conversions_open_case", "case_id", unique=True, postgresql_where=sa.text("closed_at IS NULL")),
)

ending_announcements = sa.Table(
    "ending_announcements",
    metadata,  # 解矫宣告: one per community-correction case
    sa.Column("case_id", pg.UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("place", sa.Text, nullable=False),
    sa.Column("announced_by", sa.Text, nullable=False),
    sa.Column("note", sa.Text),
)

procuratorate_notices = sa.Table(
    "procuratorate_notices",
    metadata,  # 检察建议, 纠正违法通知: a task for the office, and its reply
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

sanction_proposals = sa.Table(
    "sanction_proposals",
    metadata,  # an office's proposal of a sanction the county decides
    sa.Column("proposal_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("proposed_by", sa.Text, nullable=False),
    sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decision", sa.Text),
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("note", sa.Text),
    sa.Column("sanction_id", pg.UUID(as_uuid=True)),
)

programme_hours = sa.Table(
    "programme_hours",
    metadata,  # 教育学习 and 公益活动: staff's confirmed at once, the app's once confirmed
    sa.Column("entry_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("on", sa.Date, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("confirmed_by", sa.Text),
    sa.Column("confirmed_at", sa.DateTime(timezone=True)),
)
sa.Index("programme_hours_case_on", programme_hours.c.case_id, programme_hours.c.on)

correction_plans = sa.Table(
    "correction_plans",
    metadata,  # 个案矫正方案: made by the office, approved by another
    sa.Column("plan_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("items", pg.JSONB, nullable=False),
    sa.Column("made_by", sa.Text, nullable=False),
    sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("approved_by", sa.Text),
    sa.Column("approved_at", sa.DateTime(timezone=True)),
)

help_requests = sa.Table(
    "help_requests",
    metadata,  # 求助: the office's task, answered or passed to civil affairs
    sa.Column("request_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("case_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("office", sa.Text, nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("answer_due", sa.DateTime(timezone=True), nullable=False),
    sa.Column("outcome", sa.Text),
    sa.Column("answered_by", sa.Text),
    sa.Column("answered_at", sa.DateTime(timezone=True)),
    sa.Column("answer_note", sa.Text),
    sa.Column("civil_affairs", pg.JSONB),
)

hours_judgements = sa.Table(
    "hours_judgements",
    metadata,  # a month's hours judged per case at the month's end, for the completion rate per level
    sa.Column("case_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("month", sa.Text, primary_key=True),
    sa.Column("person_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("office", sa.Text, nullable=False),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("met", sa.Boolean, nullable=False),
    sa.Column("judged_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("hours_judgements_month", "month"),
)

social_forces = sa.Table(
    "social_forces",
    metadata,  # 社会力量: social workers, volunteers and social organisations (docs/domain.md §2)
    sa.Column("force_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("office", sa.Text, nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("organisation", sa.Text),
    sa.Column("phone", sa.Text),
    sa.Column("account", sa.Text, index=True),
    sa.Column("registered_by", sa.Text, nullable=False),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("left_on", sa.Date),
)

social_force_hours = sa.Table(
    "social_force_hours",
    metadata,  # the time a registered helper served
    sa.Column("entry_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("force_id", pg.UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("on", sa.Date, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)
