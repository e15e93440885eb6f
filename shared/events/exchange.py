"""What the exchange gateway sends out to agencies on exchange.outbound.v1."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import AwareDatetime

from shared.events.base import EventData
from shared.events.ingest import MaskedPerson, NoticeKind


class AuditCheckpoint(EventData):
    """The audit chain's head, signed by the gateway (ES256, the JWKS's key): an anchor kept
    outside the database, so a rewrite of the chain shows against it (docs/security.md, M2)."""

    seq: int
    hash: str
    at: AwareDatetime
    signature: str  # a compact JWS over {seq, hash, at}


class ReceiptIssued(EventData):
    """A receipt (回执) to a prison for a pre-release notice."""

    notice_no: str
    prison: str
    person_id: uuid.UUID
    status: Literal["linked", "unlinked"]
    justice_office: str | None = None
    reason: str | None = None
    issued_at: AwareDatetime
    # 前置化: a notice that came less than the policy's lead before release (the plan asks a month)
    # is flagged back to the prison, with how many days it gave.
    late_notice: bool = False
    notice_days: int | None = None


class PoliceHandoverIssued(EventData):
    """A key releasee handed to the police for community control (管控移交)."""

    handover_id: uuid.UUID
    person_id: uuid.UUID
    person: MaskedPerson
    reasons: list[str]
    release_date: date
    destination_town: str
    issued_at: AwareDatetime


class RevocationProposed(EventData):
    """A proposal to revoke (提请撤销缓刑、假释或暂予监外执行) decided by the county bureau, sent to the
    court that made the order (contract §6.2); the court has `ruling_due` to rule."""

    proposal_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    court: str
    order_no: str
    person: MaskedPerson
    reason: str
    decided_by: str
    decided_at: AwareDatetime
    ruling_due: AwareDatetime


class ExitControl(EventData):
    """不准出境报备: a community-correction case's border-control notice to the police, imposed when
    the case opens and lifted when it ends (contract §6.2, `GET /v1/police/exit-controls`)."""

    control_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    person: MaskedPerson
    office: str
    action: Literal["imposed", "lifted"]
    at: AwareDatetime
    until: date | None = None  # the term's planned end, while imposed


class CaseEnding(EventData):
    """The end of a community-correction case, for the court that made the order, the
    procuratorate and the police (contract §6.2, `GET /v1/court/case-endings`): 解除社区矫正 when
    the term is served (with its certificate's number), or 收监执行 when the court revoked, which
    asks the police to take the person into custody (docs/domain.md §1, "The end of a case")."""

    notice_id: uuid.UUID
    person_id: uuid.UUID
    case_id: uuid.UUID
    person: MaskedPerson
    office: str
    court: str
    order_no: str
    ending: Literal["term_served", "revoked", "transferred_out"]
    term_start: date | None = None
    term_end: date | None = None
    ended_at: AwareDatetime
    certificate_no: str | None = None  # 解除社区矫正证明书, when the term is served
    custody: bool = False  # 收监: the police take the person into custody
    to_county: str | None = None  # transferred out: the receiving county's bureau
    reason: str | None = None


class SearchRequested(EventData):
    """A request to the police to find a person (协助查找), opened by a red `contact_lost` or
    `intake_missed` alert (contract §6.2, `GET /v1/police/search-requests`)."""

    request_id: uuid.UUID
    alert_id: uuid.UUID
    person_id: uuid.UUID
    rule_id: str
    office: str
    title_zh: str
    raised_at: AwareDatetime
    evidence: list[str] = []


class AssistanceRequested(EventData):
    """A released person's request for social assistance that civil affairs handles (低保, 临时救助…)."""

    request_id: uuid.UUID
    person_id: uuid.UUID
    person: MaskedPerson
    kind: Literal["minimum_living", "medical", "housing", "temporary_relief", "other"]
    justice_office: str
    status: Literal["requested", "in_progress", "granted", "refused"]
    requested_at: AwareDatetime


class VisitFamily(EventData):
    """The family member a justice office books for: masked like every identity, with who checked it."""

    name_masked: str
    id_number_masked: str
    relationship: Literal["spouse", "parent", "child", "sibling", "grandparent", "grandchild", "other"]
    identity_checked_by: str  # the member of staff who saw the family member's identity card


class VisitBooking(EventData):
    """A booking of a prison's slot by a justice office for a family, or its cancellation (contract
    §6.2, `GET /v1/visits`): the prison reads its own."""

    booking_id: uuid.UUID
    slot_id: uuid.UUID
    slot_no: str
    prison: str
    person_id: uuid.UUID  # the prisoner
    office: str  # the justice office whose video room the family comes to
    family: VisitFamily
    start: AwareDatetime
    minutes: int
    status: Literal["booked", "cancelled"]
    reason: str | None = None  # why cancelled
    at: AwareDatetime
    by: str


class ProcuratorateReply(EventData):
    """The office's reply to a procuratorate's notice (contract §6.2, `GET /v1/procuratorate/replies`)."""

    notice_id: uuid.UUID
    notice_no: str
    procuratorate: str
    kind: NoticeKind
    office: str
    person_id: uuid.UUID | None = None
    reply: str
    replied_by: str
    replied_at: AwareDatetime
