"""The gateway's agency requests: what a court, prison, centre or device sends is made durable
before it is acknowledged (docs/architecture.md, "An agency loop").

A 2xx means durable: on Kafka with acks=all, or in the gateway's outbox; else `Unavailable`
(503, Retry-After). A person's real identity is sealed here and never leaves the gateway; every
create is on the audit chain; an Idempotency-Key makes a retried request harmless.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from aiokafka.errors import KafkaError
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from services.exchange.adapters import audit, store
from services.exchange.adapters.vault import IdentityCipher
from services.exchange.auth import ISSUER, KeyRing
from services.exchange.domain.ingest import AgencyNumber
from services.exchange.domain.requests import PersonIn
from shared.db.uow import UnitOfWork
from shared.envelope import OutgoingEvent, encode_many
from shared.errors import Conflict, Forbidden, NotFound, Refused, Unavailable
from shared.events import (
    EVENT_TYPES,
    AssistanceOutcome,
    AuditCheckpoint,
    EventData,
    ExitControlAcknowledged,
    PoliceAcknowledged,
    ProcuratorateNotice,
    RevocationRuling,
    SearchResult,
    VisitAnswered,
    VisitSlotOffered,
    build_dumped,
    build_event,
)
from shared.logging import get_logger
from shared.service import ServiceRuntime

log = get_logger(__name__)
_ID_NS = uuid.UUID("5b0e7f2a-9c1d-4e3b-8a6f-1d2c3b4a5e6f")


@dataclass(frozen=True)
class Client:
    """The calling agency client, as its token says."""

    client_id: str
    agency: str


@dataclass(frozen=True)
class Retry:
    """A request's Idempotency-Key and the hash of the request it came with."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class Replayed:
    """The answer already given to the same request under the same key."""

    status: int
    body: dict[str, Any]


def retry_event_id(client_id: str, key: str, index: int) -> uuid.UUID:
    """With an Idempotency-Key, a retry publishes the same event ids, so consumers drop the copies."""
    return uuid.uuid5(_ID_NS, f"{client_id}|{key}|{index}")


async def _audit(
    uow: UnitOfWork,
    client: Client,
    action: str,
    resource: str,
    person_id: uuid.UUID | None,
    purpose: str,
    at: datetime | None = None,
) -> None:
    """An agency client's access to a person's record, on the gateway's hash chain."""
    await audit.append(uow.conn, _audit_content(client, action, resource, person_id, purpose, at or datetime.now(UTC)))


def _audit_content(
    client: Client, action: str, resource: str, person_id: uuid.UUID | None, purpose: str, at: datetime
) -> dict[str, Any]:
    return audit.content_of(
        actor=client.client_id,
        agency=client.agency,
        role="agency-client",
        action=action,
        resource=resource,
        person_id=person_id,
        purpose=purpose,
        at=at,
        service="exchange",
    )


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """One record of an agency's batch: who, the event, its number, and its first answer."""

    person: PersonIn
    data: EventData
    number: AgencyNumber
    resource: str
    answer: dict[str, Any]


@dataclass
class Ingest:
    runtime: ServiceRuntime
    cipher: IdentityCipher
    publish_timeout_s: float

    def event_id(self, client: Client, retry: Retry | None, index: int) -> uuid.UUID | None:
        return retry_event_id(client.client_id, retry.key, index) if retry else None

    def events(self, client: Client, retry: Retry | None, data: list[EventData]) -> list[tuple[str, OutgoingEvent]]:
        return [
            build_event(d, self.runtime.source, subject=d.person_id, id=self.event_id(client, retry, i))  # type: ignore[attr-defined]
            for i, d in enumerate(data)
        ]

    async def replayed(self, client: Client, retry: Retry | None) -> Replayed | None:
        """The earlier answer to this very request; the same key with another request is refused."""
        if retry is None:
            return None
        async with self.runtime.engine.connect() as conn:
            row = await store.remembered(conn, client.client_id, retry.key)
        if row is None:
            return None
        if row.request_hash != retry.request_hash:
            raise Refused("Idempotency-Key", "this Idempotency-Key was used for another request")
        return Replayed(row.status, row.body)

    async def person_record(
        self,
        client: Client,
        retry: Retry | None,
        person: PersonIn,
        data: EventData,
        *,
        number: AgencyNumber,
        resource: str,
        purpose: str,
        answer: dict[str, Any],
    ) -> dict[str, Any]:
        """One record through `person_records`: the same number again with the same content is the
        first answer again (nothing new is sent); with other content it is a 409 (nothing stored),
        never a record accepted and then dropped downstream."""

        def respond(results: list[dict[str, Any]]) -> dict[str, Any]:
            (result,) = results
            if result["status"] == "conflict":
                raise Conflict(result["errors"][0]["message"])
            return {k: v for k, v in result.items() if k != "status"}

        record = BatchRecord(person, data, number, resource, answer)
        return await self.person_records(client, retry, [record], purpose, respond, status=202)

    async def person_records(
        self,
        client: Client,
        retry: Retry | None,
        items: list[BatchRecord],
        purpose: str,
        respond: Callable[[list[dict[str, Any]]], dict[str, Any]],
        status: int = 200,
    ) -> dict[str, Any]:
        """Take each record's agency number, seal its identity, put its event in the outbox and its
        create on the audit chain, all in one transaction (a prison's monthly list, or one record
        through `person_record`). Each record is answered on its own: accepted, duplicate (the same
        number and content again: the first answer, nothing new sent) or conflict (the same number
        with other content). `respond` makes the request's answer from them, remembered for a retry
        under `status`; what it raises undoes the transaction."""
        events = self.events(client, retry, [i.data for i in items])
        sealed = [self.cipher.seal(i.data.person_id, i.person.model_dump(mode="json")) for i in items]  # type: ignore[attr-defined]
        results: list[dict[str, Any]] = []
        try:
            async with self.runtime.uow() as uow:
                wanted = [(i.number, i.data.person_id, i.answer) for i in items]  # type: ignore[attr-defined]
                held = await store.take_numbers(uow.conn, wanted)
                seals, audits = [], []
                now = datetime.now(UTC)
                for item, (topic, event), (version, seal), first in zip(items, events, sealed, held, strict=True):
                    n = item.number
                    if first is not None and first.content_hash != n.content_hash:
                        results.append(
                            {
                                "status": "conflict",
                                "errors": [
                                    {
                                        "field": "notice_no",
                                        "message": f"{n.kind} number {n.number!r} of {n.issuer} was already sent "
                                        "with other content; send a correction under its own number",
                                    }
                                ],
                            }
                        )
                    elif first is not None:
                        results.append({"status": "duplicate", **first.answer})
                    else:
                        person_id = item.data.person_id  # type: ignore[attr-defined]
                        seals.append((person_id, seal, version))
                        uow.emit(topic, event)
                        audits.append(_audit_content(client, "create", item.resource, person_id, purpose, now))
                        results.append({"status": "accepted", **item.answer})
                if seals:
                    await store.seal_identities(uow.conn, seals, client.client_id)
                await audit.append_many(uow.conn, audits)
                body = respond(results)  # the whole answer, remembered for a retry of this request
                if retry:
                    await store.remember(uow.conn, client.client_id, retry.key, retry.request_hash, body, status)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("records not stored", error=str(exc), records=len(items))
            raise Unavailable("the gateway cannot store records right now") from None
        return body

    async def stream(
        self, client: Client, retry: Retry | None, event_type: str, data: Sequence[BaseModel]
    ) -> dict[str, Any]:
        """Fixes and check-ins: on Kafka with acks=all, else in the outbox, else 503 — never a lost 202."""
        runtime = self.runtime
        answer = {"accepted": len(data)}
        et = EVENT_TYPES[event_type]
        ids = [self.event_id(client, retry, i) or uuid.uuid4() for i in range(len(data))]
        dumped = [d.model_dump(mode="json", exclude_none=True) for d in data]
        on_kafka = False
        if runtime.started is not None and runtime.started.is_set():
            # The hot path (docs/performance.md): the records encoded straight from the request's
            # validated models, one CloudEvent each, no model built per event.
            items = [(i, str(d["person_id"]), d) for i, d in zip(ids, dumped, strict=True)]
            records = [(et.topic, *r) for r in encode_many(event_type, runtime.source, items)]
            try:
                await asyncio.wait_for(runtime.producer.publish_batched(records), timeout=self.publish_timeout_s)
                on_kafka = True
            except (KafkaError, TimeoutError) as exc:
                # Anything already sent carries the same event ids; consumers' inboxes drop the copies.
                log.warning("Kafka did not acknowledge; accepting into the outbox", error=str(exc))
        if on_kafka and not retry:
            return answer  # the hot path: no database round trip
        try:
            async with runtime.uow() as uow:
                if not on_kafka:  # the same events (ids) as the hot path would have sent
                    for event_id, d in zip(ids, dumped, strict=True):
                        uow.emit(*build_dumped(event_type, runtime.source, d, subject=str(d["person_id"]), id=event_id))
                if retry:
                    await store.remember(uow.conn, client.client_id, retry.key, retry.request_hash, answer)
        except (SQLAlchemyError, OSError) as exc:
            if on_kafka:
                return answer  # durable on Kafka; only the idempotency record is missing
            log.warning("outbox not reachable either", error=str(exc))
            raise Unavailable("neither Kafka nor the outbox can take records now") from None
        return answer


@dataclass
class Views:
    """What agencies read, each read of a person's record on the audit chain; and the police's answer."""

    runtime: ServiceRuntime

    async def page(
        self,
        client: Client,
        kind: str,
        since: int | datetime | None,
        limit: int,
        *,
        purpose: str,
        organisation: str | None = None,
    ) -> list[Any]:
        async with self.runtime.uow() as uow:
            rows = await store.outbound_page(uow.conn, kind, since, limit, organisation)
            now = datetime.now(UTC)
            for person_id in dict.fromkeys(r.person_id for r in rows):
                await _audit(uow, client, "read", kind, person_id, purpose, now)
        return rows

    async def acknowledge_police_handover(
        self, client: Client, police_unit: str, handover_id: uuid.UUID, officer: str | None
    ) -> PoliceAcknowledged:
        """The police took over community control (社区管控) of this key person."""
        async with self.runtime.engine.connect() as conn:
            person_id = await store.police_handover_person(conn, handover_id)
        if person_id is None:
            raise NotFound(f"no police handover {handover_id}")
        ack = PoliceAcknowledged(
            handover_id=handover_id,
            person_id=person_id,
            police_unit=police_unit,
            officer=officer,
            acknowledged_at=datetime.now(UTC),
        )
        async with self.runtime.uow() as uow:
            uow.publish(ack, subject=person_id)
            await _audit(
                uow,
                client,
                "update",
                "police-handover",
                person_id,
                "社区管控接收 (control taken over)",
                ack.acknowledged_at,
            )
        return ack

    async def revocation_ruling(
        self, client: Client, court: str, proposal_id: uuid.UUID, ruling: dict[str, Any], number: AgencyNumber
    ) -> dict[str, Any]:
        """A court's ruling on its own proposal, idempotent on the court's ruling number."""
        item = await self._item("revocation-proposal", "proposal_id", proposal_id)
        if item is None or item.organisation != court:
            raise NotFound(f"no revocation proposal {proposal_id} for {court}")
        data = RevocationRuling(proposal_id=proposal_id, person_id=item.person_id, court=court, **ruling)
        answer = {"proposal_id": str(proposal_id), "ruling_no": data.ruling_no, "status": "accepted"}
        conflict = f"ruling number {data.ruling_no!r} of {court} was already sent with other content"
        return await self._answer_once(
            client, number, item.person_id, data, answer, conflict, ("revocation-ruling", "撤销裁定 (ruling)")
        )

    async def search_result(
        self,
        client: Client,
        police_unit: str,
        request_id: uuid.UUID,
        result: dict[str, Any],
        answered_at: datetime,
        number: AgencyNumber,
    ) -> dict[str, Any]:
        """The police's result for a search request, once: another result for it is a 409."""
        item = await self._item("search-request", "request_id", request_id)
        if item is None:
            raise NotFound(f"no search request {request_id}")
        data = SearchResult(
            request_id=request_id,
            alert_id=uuid.UUID(item.data["alert_id"]),
            person_id=item.person_id,
            police_unit=police_unit,
            answered_at=answered_at,
            **result,
        )
        answer = {"request_id": str(request_id), "outcome": data.outcome, "status": "accepted"}
        conflict = f"search request {request_id} was answered already with another result"
        return await self._answer_once(
            client, number, item.person_id, data, answer, conflict, ("search-result", "协助查找 (search)")
        )

    async def assistance_outcome(
        self, client: Client, bureau: str, request_id: uuid.UUID, decision: dict[str, Any], number: AgencyNumber
    ) -> dict[str, Any]:
        """Civil affairs' decision on an assistance request, once: another decision is a 409."""
        item = await self._item("assistance-request", "request_id", request_id)
        if item is None:
            raise NotFound(f"no assistance request {request_id}")
        data = AssistanceOutcome(request_id=request_id, person_id=item.person_id, civil_affairs=bureau, **decision)
        answer = {"request_id": str(request_id), "outcome": data.outcome, "status": "accepted"}
        conflict = f"assistance request {request_id} was decided already with another outcome"
        return await self._answer_once(
            client, number, item.person_id, data, answer, conflict, ("assistance-outcome", "社会救助 (assistance)")
        )

    async def visit_slots(self, client: Client, slots: list[tuple[VisitSlotOffered, AgencyNumber]]) -> dict[str, Any]:
        """A prison's video-visit slots, each idempotent on its slot number: the same slot again is
        harmless, another under a taken number is a 409 naming it (and none of the batch is kept)."""
        answers = []
        async with self.runtime.uow() as uow:
            for i, (slot, _) in enumerate(slots):  # a prison offers its own prisoners only (L2)
                if not await store.prison_notified(uow.conn, slot.prison, slot.person_id):
                    raise Forbidden(
                        f"slots[{i}].prisoner_person_id: no pre-release notice of {slot.prison} names this person"
                    )
            for i, (slot, number) in enumerate(slots):
                answer = {"slot_no": slot.slot_no, "slot_id": str(slot.slot_id), "status": "accepted"}
                held = await store.take_number(uow.conn, number, slot.person_id, answer)
                if held is not None:
                    if held.content_hash != number.content_hash:
                        raise Conflict(
                            f"slots[{i}]: slot number {slot.slot_no!r} of {slot.prison} was offered already "
                            "with other content"
                        )
                    answers.append(dict(held.answer))
                    continue
                uow.publish(slot, subject=slot.person_id)
                await _audit(
                    uow, client, "create", "visit-slot", slot.person_id, "远程亲情视频会见 (slot)", datetime.now(UTC)
                )
                answers.append(answer)
        return {"slots": answers}

    async def visit_answer(
        self, client: Client, prison: str, booking_id: uuid.UUID, answer: str, note: str | None, number: AgencyNumber
    ) -> dict[str, Any]:
        """The prison confirms or declines a booking of its own slot, once: another answer is a 409."""
        item = await self._item("visit", "booking_id", booking_id, status="booked")
        if item is None or item.organisation != prison:
            raise NotFound(f"no booking {booking_id} of a slot of {prison}")
        data = VisitAnswered(
            booking_id=booking_id,
            person_id=item.person_id,
            prison=prison,
            answer=answer,  # type: ignore[arg-type]
            note=note,
            answered_at=datetime.now(UTC),
        )
        reply = {"booking_id": str(booking_id), "answer": answer, "status": "accepted"}
        conflict = f"booking {booking_id} was answered already with another answer"
        return await self._answer_once(
            client, number, item.person_id, data, reply, conflict, ("visit-answer", "远程亲情视频会见 (answer)")
        )

    async def procuratorate_notice(
        self, client: Client, notice: ProcuratorateNotice, number: AgencyNumber
    ) -> dict[str, Any]:
        """A 检察建议 or 纠正违法通知, idempotent on the procuratorate's notice number."""
        answer = {"notice_id": str(notice.notice_id), "notice_no": notice.notice_no, "status": "accepted"}
        conflict = f"notice number {notice.notice_no!r} of {notice.procuratorate} was already sent with other content"
        return await self._answer_once(
            client,
            number,
            notice.person_id,
            notice,
            answer,
            conflict,
            ("procuratorate-notice", "检察监督 (notice)"),
            subject=notice.person_id or notice.notice_id,  # an office-wide notice: keyed by itself
        )

    async def acknowledge_exit_control(
        self,
        client: Client,
        police_unit: str,
        control_id: uuid.UUID,
        action: str,
        officer: str | None,
        number: AgencyNumber,
    ) -> dict[str, Any]:
        """The police registered (or lifted) a border control; once per control and action."""
        item = await self._item("exit-control", "control_id", control_id, action=action)
        if item is None:
            raise NotFound(f"no exit control {control_id} {action}")
        data = ExitControlAcknowledged(
            control_id=control_id,
            person_id=item.person_id,
            case_id=uuid.UUID(item.data["case_id"]),
            action=action,  # type: ignore[arg-type]
            police_unit=police_unit,
            officer=officer,
            acknowledged_at=datetime.now(UTC),
        )
        answer = {"control_id": str(control_id), "action": action, "status": "acknowledged"}
        conflict = f"exit control {control_id} ({action}) was acknowledged already by another officer"
        return await self._answer_once(
            client, number, item.person_id, data, answer, conflict, ("exit-control-ack", "出境报备 (exit control)")
        )

    async def _item(self, kind: str, key: str, value: uuid.UUID, **also: str) -> Any:
        async with self.runtime.engine.connect() as conn:
            return await store.outbound_item(conn, kind, key, str(value), **also)

    async def _answer_once(
        self,
        client: Client,
        number: AgencyNumber,
        person_id: uuid.UUID | None,
        data: EventData,
        answer: dict[str, Any],
        conflict: str,
        audited: tuple[str, str],
        subject: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        """An agency's answer to what we sent it, taken once under its own number (the table that
        holds orders' and notices' numbers): the same content again is the first answer again;
        other content under the number is a 409. Published and audited with the number's take."""
        async with self.runtime.uow() as uow:
            held = await store.take_number(uow.conn, number, person_id, answer)
            if held is not None:
                if held.content_hash != number.content_hash:
                    raise Conflict(conflict)
                return dict(held.answer)
            uow.publish(data, subject=subject or person_id)
            resource, purpose = audited
            await _audit(uow, client, "create", resource, person_id, purpose, datetime.now(UTC))
        return answer

    async def checkpoint(self, keys: KeyRing, now: datetime) -> AuditCheckpoint | None:
        """Sign the chain's head and send it out (exchange.outbound.v1): an anchor outside the
        database; None when the head has one already or the chain is empty."""
        async with self.runtime.uow() as uow:
            data = await _signed_head(uow, keys, now)
            if data is None:
                return None
            uow.publish(data, subject="audit")
        return data

    async def checkpoints(self, client: Client, limit: int) -> list[dict[str, Any]]:
        async with self.runtime.engine.connect() as conn:
            rows = await audit.recent_checkpoints(conn, limit)
        return [{"seq": r.seq, "hash": r.hash, "at": r.at.isoformat(), "signature": r.signature} for r in rows]

    async def check_anchor(self, client: Client, seq: int, hash_: str) -> dict[str, Any]:
        """Does the chain still hold an anchor the procuratorate kept? The whole chain is checked."""
        async with self.runtime.uow() as uow:
            held = await audit.hash_at(uow.conn, seq)
            check = await audit.verify_chain(uow.conn, full=True)
            await _audit(uow, client, "read", "audit-anchor", None, "法律监督 (legal supervision)")
        return {
            "seq": seq,
            "matches": held == hash_,
            "chain": {
                "ok": check.ok,
                "checked": check.checked,
                "first_bad_seq": check.first_bad_seq,
                "reason": check.reason,
            },
        }

    async def audit_trail(self, client: Client, person_id: uuid.UUID, keys: KeyRing) -> dict[str, Any]:
        """Who read or changed this person's record (legal supervision), and whether the chain holds.
        The answer carries the chain's head signed at this read (this read's own entry included):
        what the procuratorate has seen is anchored at once, not at the next hourly checkpoint,
        so no entry it saw can be changed or cut off unseen (L3, docs/security.md)."""
        async with self.runtime.uow() as uow:
            entries = await audit.entries_for(uow.conn, person_id)
            check = await audit.verify_chain(uow.conn)
            await _audit(uow, client, "read", "audit", person_id, "法律监督 (legal supervision)")
            anchor = await _signed_head(uow, keys, datetime.now(UTC))
        return {
            "person_id": str(person_id),
            "entries": entries,
            "anchor": None if anchor is None else anchor.model_dump(mode="json"),
            "chain": {
                "ok": check.ok,
                "checked": check.checked,
                "first_bad_seq": check.first_bad_seq,
                "reason": check.reason,
            },
        }


async def _signed_head(uow: UnitOfWork, keys: KeyRing, now: datetime) -> AuditCheckpoint | None:
    """The chain's head signed with the gateway's key and kept as a checkpoint; None when the chain
    is empty or its head has a checkpoint already."""
    head = await audit.head(uow.conn)
    if head is None:
        return None
    seq, hash_ = head
    key = keys.current
    claims = {"iss": ISSUER, "seq": seq, "hash": hash_, "at": now.isoformat()}
    signature = jwt.encode(claims, key.private, algorithm="ES256", headers={"kid": key.kid})
    if not await audit.add_checkpoint(uow.conn, seq, hash_, now, signature):
        return None
    return AuditCheckpoint(seq=seq, hash=hash_, at=now, signature=signature)
