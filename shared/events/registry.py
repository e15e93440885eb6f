"""The registry: every event type, its topic and its `data` model, one source for producers,
consumers, the JSON schemas and the AsyncAPI document."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from shared import topics
from shared.envelope import IncomingEvent, OutgoingEvent, describe_validation_error, new_event
from shared.events import alerts, exchange, handover, ingest, platform, risk, supervision
from shared.events.base import EventData
from shared.text import NUL_ESCAPE


class EventType(BaseModel):
    type: str
    topic: str
    data: builtins.type[EventData]
    summary: str


EVENT_TYPES: dict[str, EventType] = {
    et.type: et
    for et in [
        EventType(
            type="sps.ingest.court-order",
            topic=topics.COURT_ORDERS,
            data=ingest.CourtOrderIngested,
            summary="Community-correction order accepted from a court (社区矫正决定)",
        ),
        EventType(
            type="sps.ingest.release-notice",
            topic=topics.RELEASE_NOTICES,
            data=ingest.ReleaseNoticeIngested,
            summary="Pre-release notice accepted from a prison (预释放人员信息)",
        ),
        EventType(
            type="sps.ingest.rehab-notice",
            topic=topics.REHAB_NOTICES,
            data=ingest.RehabNoticeIngested,
            summary="Release notice accepted from a drug rehabilitation centre (即将解戒人员信息)",
        ),
        EventType(
            type="sps.exchange.audit-checkpoint",
            topic=topics.EXCHANGE_OUTBOUND,
            data=exchange.AuditCheckpoint,
            summary="The audit chain's head, signed: an anchor for the procuratorate",
        ),
        EventType(
            type="sps.exchange.receipt",
            topic=topics.EXCHANGE_OUTBOUND,
            data=exchange.ReceiptIssued,
            summary="A receipt to a prison (回执)",
        ),
        EventType(
            type="sps.exchange.revocation-proposal",
            topic=topics.EXCHANGE_OUTBOUND,
            data=exchange.RevocationProposed,
            summary="A revocation proposal decided by the county bureau, for the court (提请撤销)",
        ),
        EventType(
            type="sps.exchange.exit-control",
            topic=topics.EXCHANGE_OUTBOUND,
            data=exchange.ExitControl,
            summary="A border-control notice for the police (不准出境报备), imposed or lifted",
        ),
        EventType(
            type="sps.ingest.assistance-outcome",
            topic=topics.AGENCY_REPLIES,
            data=ingest.AssistanceOutcome,
            summary="Civil affairs' decision on an assistance request (社会救助)",
        ),
        EventType(
            type="sps.ingest.visit-slot",
            topic=topics.AGENCY_REPLIES,
            data=ingest.VisitSlotOffered,
            summary="A prison's remote family video-visit slot (远程亲情视频会见)",
        ),
        EventType(
            type="sps.ingest.visit-answer",
            topic=topics.AGENCY_REPLIES,
            data=ingest.VisitAnswered,
            summary="A prison confirms or declines a family video-visit booking",
        ),
        EventType(
            type="sps.exchange.visit-booking",
            topic=topics.EXCHANGE_OUTBOUND,
            data=exchange.VisitBooking,
            summary="A justice office's booking of a prison's video-visit slot for a family, or its cancellation",
        ),
        EventType(
            type="sps.ingest.procuratorate-notice",
            topic=topics.AGENCY_REPLIES,
            data=ingest.ProcuratorateNotice,
            summary="A procuratorate's notice to a justice office (检察建议, 纠正违法通知)",
        ),
        EventType(
            type="sps.exchange.procuratorate-reply",
            topic=topics.EXCHANGE_OUTBOUND,
            data=exchange.ProcuratorateReply,
            summary="A justice office's reply to a procuratorate's notice",
        ),
        EventType(
            type="sps.exchange.case-ending",
            topic=topics.EXCHANGE_OUTBOUND,
            data=exchange.CaseEnding,
            summary="A corrections case's end for the court, procuratorate and police (解除社区矫正 or 收监执行)",
        ),
        EventType(
            type="sps.ingest.exit-control-ack",
            topic=topics.POLICE_ACKS,
            data=ingest.ExitControlAcknowledged,
            summary="The police registered a border control or its lifting",
        ),
        EventType(
            type="sps.exchange.search-request",
            topic=topics.EXCHANGE_OUTBOUND,
            data=exchange.SearchRequested,
            summary="A request to the police to find a person (协助查找)",
        ),
        EventType(
            type="sps.ingest.search-result",
            topic=topics.POLICE_ACKS,
            data=ingest.SearchResult,
            summary="The police's result for a search request",
        ),
        EventType(
            type="sps.alert.transferred",
            topic=topics.ALERTS,
            data=alerts.AlertData,
            summary="An alert moved with its person's case to another justice office",
        ),
        EventType(
            type="sps.alert.search-answered",
            topic=topics.ALERTS,
            data=alerts.AlertData,
            summary="The police answered the search an alert opened (协助查找)",
        ),
        EventType(
            type="sps.ingest.revocation-ruling",
            topic=topics.COURT_ORDERS,
            data=ingest.RevocationRuling,
            summary="A court's ruling on a revocation proposal",
        ),
        EventType(
            type="sps.supervision.procuratorate-reply-overdue",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.ProcuratorateReplyOverdue,
            summary="A procuratorate's notice about a person passed its reply deadline unanswered",
        ),
        EventType(
            type="sps.supervision.revocation-ruling-overdue",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.RevocationRulingOverdue,
            summary="A court's days to rule on a revocation proposal passed with no ruling",
        ),
        EventType(
            type="sps.exchange.police-handover",
            topic=topics.EXCHANGE_OUTBOUND,
            data=exchange.PoliceHandoverIssued,
            summary="A key releasee handed to the police for community control (管控移交)",
        ),
        EventType(
            type="sps.exchange.assistance-request",
            topic=topics.EXCHANGE_OUTBOUND,
            data=exchange.AssistanceRequested,
            summary="An assistance request for civil affairs",
        ),
        EventType(
            type="sps.ingest.police-ack",
            topic=topics.POLICE_ACKS,
            data=ingest.PoliceAcknowledged,
            summary="The police acknowledged a key-person handover",
        ),
        EventType(
            type="sps.audit.recorded",
            topic=topics.AUDIT,
            data=platform.AuditRecorded,
            summary="Who read or changed a person's data",
        ),
        EventType(
            type="sps.ingest.location",
            topic=topics.LOCATIONS,
            data=ingest.LocationFix,
            summary="One location fix from an electronic-positioning device or phone",
        ),
        EventType(
            type="sps.ingest.checkin",
            topic=topics.CHECKINS,
            data=ingest.Checkin,
            summary="One check-in of a supervised person",
        ),
        EventType(
            type="sps.supervision.case-opened",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.CaseOpened,
            summary="A supervision case was opened",
        ),
        EventType(
            type="sps.supervision.leave-approved",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.LeaveApproved,
            summary="A leave was approved",
        ),
        EventType(
            type="sps.supervision.leave-requested",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.LeaveRequested,
            summary="A leave was applied for (请假申请)",
        ),
        EventType(
            type="sps.supervision.leave-declined",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.LeaveDeclined,
            summary="A leave application was refused",
        ),
        EventType(
            type="sps.supervision.leave-returned",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.LeaveReturned,
            summary="Back from a leave (销假): outside the county is a breach again",
        ),
        EventType(
            type="sps.supervision.intake-reported",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.IntakeReported,
            summary="The person reported for intake (报到)",
        ),
        EventType(
            type="sps.supervision.zone-exited",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.ZoneExited,
            summary="Outside the permitted area beyond the fix's accuracy, no approved leave",
        ),
        EventType(
            type="sps.supervision.zone-returned",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.ZoneReturned,
            summary="Back inside the permitted area",
        ),
        EventType(
            type="sps.supervision.exclusion-zone-entered",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.ExclusionZoneEntered,
            summary="Inside an exclusion zone beyond the fix's accuracy",
        ),
        EventType(
            type="sps.supervision.device-tampered",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.DeviceTampered,
            summary="Strap cut or device tampered",
        ),
        EventType(
            type="sps.supervision.device-offline",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.DeviceOffline,
            summary="No fix for the offline window",
        ),
        EventType(
            type="sps.supervision.checkin-missed",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.CheckinMissed,
            summary="A scheduled check-in was missed",
        ),
        EventType(
            type="sps.supervision.contact-check-due",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.ContactCheckDue,
            summary="The contact window passed: the office must try to reach the person",
        ),
        EventType(
            type="sps.supervision.contact-checked",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.ContactChecked,
            summary="The result of trying to reach the person (reached, unreachable, no result, a sign of life)",
        ),
        EventType(
            type="sps.supervision.contact-lost",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.ContactLost,
            summary="No fix and no check-in for the contact-lost window",
        ),
        EventType(
            type="sps.supervision.intake-missed",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.IntakeMissed,
            summary="Not reported within the intake window (漏管)",
        ),
        EventType(
            type="sps.supervision.leave-overdue",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.LeaveOverdue,
            summary="Leave ended, not back in the area",
        ),
        EventType(
            type="sps.supervision.sanction-recorded",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.SanctionRecorded,
            summary="An admonition, warning or revocation proposal",
        ),
        EventType(
            type="sps.supervision.positioning-term-ending",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.PositioningTermEnding,
            summary="Electronic positioning near the end of its term",
        ),
        EventType(
            type="sps.supervision.aftercare-followup-due",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.AftercareFollowupDue,
            summary="Aftercare phone call or visit due",
        ),
        EventType(
            type="sps.supervision.rehab-report-missed",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.RehabReportMissed,
            summary="Community rehabilitation not reported in time",
        ),
        EventType(
            type="sps.supervision.key-persons-unconfirmed",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.KeyPersonsUnconfirmed,
            summary="A justice office had not confirmed its month's key-person list in time (一月一认定)",
        ),
        EventType(
            type="sps.supervision.sanction-proposed",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.SanctionProposed,
            summary="A justice office proposed a sanction for the county bureau to decide",
        ),
        EventType(
            type="sps.supervision.sanction-proposal-decided",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.SanctionProposalDecided,
            summary="The county bureau approved or refused a proposed sanction",
        ),
        EventType(
            type="sps.supervision.plan-made",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.PlanMade,
            summary="An individual correction plan made by the office (个案矫正方案)",
        ),
        EventType(
            type="sps.supervision.plan-approved",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.PlanApproved,
            summary="A correction plan approved: the case's plan in force",
        ),
        EventType(
            type="sps.supervision.plan-overdue",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.PlanOverdue,
            summary="No approved correction plan by its day (after intake, a level change or at review)",
        ),
        EventType(
            type="sps.supervision.help-requested",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.HelpRequested,
            summary="A request for help: the office's task with its deadline",
        ),
        EventType(
            type="sps.supervision.help-answered",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.HelpAnswered,
            summary="The office answered a help request, or referred it to civil affairs",
        ),
        EventType(
            type="sps.supervision.help-request-overdue",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.HelpRequestOverdue,
            summary="A help request not answered by its deadline",
        ),
        EventType(
            type="sps.ingest.app-report",
            topic=topics.APP_REPORTS,
            data=ingest.AppReport,
            summary="A report from the supervised person's app (在矫通): hours or a help request",
        ),
        EventType(
            type="sps.supervision.hours-recorded",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.HoursRecorded,
            summary="Study or community-service time recorded, or confirmed",
        ),
        EventType(
            type="sps.supervision.hours-short",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.HoursShort,
            summary="A month ended short of the hours the person's level owes",
        ),
        EventType(
            type="sps.supervision.hours-short-withdrawn",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.HoursShortWithdrawn,
            summary="A month judged short met its hours with time confirmed later: its signal is withdrawn",
        ),
        EventType(
            type="sps.supervision.case-transferred",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.CaseTransferred,
            summary="A case moved to another justice office inside the county",
        ),
        EventType(
            type="sps.supervision.case-closed",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.CaseClosed,
            summary="A case ended (期满), was revoked (收监) or transferred",
        ),
        EventType(
            type="sps.supervision.ending-announced",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.EndingAnnounced,
            summary="The office announced the end of a corrections term (解矫宣告)",
        ),
        EventType(
            type="sps.supervision.battery-low",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.BatteryLow,
            summary="A positioning device's battery is low",
        ),
        EventType(
            type="sps.supervision.separation-reported",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.SeparationReported,
            summary="人机分离: the device was found not with the person",
        ),
        EventType(
            type="sps.supervision.rehab-serious-breach",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.RehabSeriousBreach,
            summary="社区康复: a serious breach (unreported trips, days away, dodged tests)",
        ),
        EventType(
            type="sps.supervision.level-changed",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.LevelChanged,
            summary="The supervision level changed (分类管理)",
        ),
        EventType(
            type="sps.supervision.positioning-started",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.PositioningStarted,
            summary="Electronic positioning approved or renewed (电子定位)",
        ),
        EventType(
            type="sps.supervision.positioning-ended",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.PositioningEnded,
            summary="Electronic positioning ended, its device unbound (term end or case closed)",
        ),
        EventType(
            type="sps.supervision.followup-recorded",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.FollowupRecorded,
            summary="An aftercare follow-up was recorded (后续照管回访)",
        ),
        EventType(
            type="sps.supervision.key-persons-determined",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.KeyPersonsDetermined,
            summary="A justice office's monthly key-person list (一月一认定)",
        ),
        EventType(
            type="sps.supervision.key-person-newly-determined",
            topic=topics.SUPERVISION_EVENTS,
            data=supervision.KeyPersonNewlyDetermined,
            summary="A person newly on an office's monthly key-person list (signal: risk_high)",
        ),
        EventType(
            type="sps.handover.opened",
            topic=topics.HANDOVER_EVENTS,
            data=handover.HandoverOpened,
            summary="A notice was received and verified (linked or unlinked)",
        ),
        EventType(
            type="sps.handover.supplemented",
            topic=topics.HANDOVER_EVENTS,
            data=handover.InformationSupplemented,
            summary="What the office learned of a released person after arrival (信息补录)",
        ),
        EventType(
            type="sps.handover.arrived",
            topic=topics.HANDOVER_EVENTS,
            data=handover.ArrivalRegistered,
            summary="A released person registered at the justice office",
        ),
        EventType(
            type="sps.handover.release-intake-missed",
            topic=topics.HANDOVER_EVENTS,
            data=handover.ReleaseIntakeMissed,
            summary="Key releasee not registered after release (漏管)",
        ),
        EventType(
            type="sps.handover.rehab-arrival-missed",
            topic=topics.HANDOVER_EVENTS,
            data=handover.RehabArrivalMissed,
            summary="Community-rehabilitation releasee not come within the window (社区康复未报到)",
        ),
        EventType(
            type="sps.handover.pickup-unplanned",
            topic=topics.HANDOVER_EVENTS,
            data=handover.PickupUnplanned,
            summary="Key releasee without a pick-up plan before release",
        ),
        EventType(
            type="sps.handover.receipt-overdue",
            topic=topics.HANDOVER_EVENTS,
            data=handover.ReceiptOverdue,
            summary="Pre-release notice without a receipt in time",
        ),
        EventType(
            type="sps.risk.assessed",
            topic=topics.RISK_EVENTS,
            data=risk.RiskAssessed,
            summary="A risk assessment was made or overridden",
        ),
        EventType(
            type="sps.risk.reassessment-overdue",
            topic=topics.RISK_EVENTS,
            data=risk.ReassessmentOverdue,
            summary="A reassessment is overdue for the person's level",
        ),
        EventType(
            type="sps.risk.risk-high",
            topic=topics.RISK_EVENTS,
            data=risk.RiskHigh,
            summary="Assessment rose to high, or key person newly determined",
        ),
        EventType(
            type="sps.security.sign-in-burst",
            topic=topics.SECURITY_EVENTS,
            data=platform.SignInBurst,
            summary="A burst of failed sign-ins or token requests from one address",
        ),
        EventType(
            type="sps.alert.notification-failed",
            topic=topics.NOTIFICATIONS_DEAD,
            data=alerts.NotificationFailed,
            summary="An alert notification was given up after every retry",
        ),
        *[
            EventType(
                type=f"sps.alert.{step}", topic=topics.ALERTS, data=alerts.AlertData, summary=f"An alert was {step}"
            )
            for step in ("raised", "escalated", "acknowledged", "disposed", "closed")
        ],
    ]
}


# Every step of an alert's life as alerts.v1 carries it (raised … transferred): the command centre
# projects each and the console listens for each, from this one list.
ALERT_STEPS: tuple[str, ...] = tuple(
    t.removeprefix("sps.alert.")
    for t, et in EVENT_TYPES.items()
    if et.topic == topics.ALERTS and et.data is alerts.AlertData
)


class UnknownEventType(ValueError):
    pass


_BY_DATA: dict[type[EventData], list[EventType]] = {}
for _et in EVENT_TYPES.values():
    _BY_DATA.setdefault(_et.data, []).append(_et)


def event_type_of(data: EventData, type: str | None = None) -> EventType:
    """The registered type of `data`, from its class; `type` picks one where a class has several
    (the alert steps share `alerts.AlertData`). Publishing an unregistered class is a programming error."""
    registered = _BY_DATA.get(data.__class__)
    if not registered:
        raise UnknownEventType(f"{data.__class__.__name__} is not a registered event type")
    if type is None:
        if len(registered) > 1:
            raise UnknownEventType(
                f"{data.__class__.__name__} is the data of several types "
                f"({', '.join(e.type for e in registered)}): name one"
            )
        return registered[0]
    for et in registered:
        if et.type == type:
            return et
    raise UnknownEventType(f"{type!r} is not a type of {data.__class__.__name__}")


def build_event(
    data: EventData,
    source: str,
    *,
    subject: uuid.UUID | str | None,
    type: str | None = None,
    id: uuid.UUID | None = None,
    cause: IncomingEvent | None = None,
    time: datetime | None = None,
) -> tuple[str, OutgoingEvent]:
    """The topic and the CloudEvent for `data`, its type from the registry by its class."""
    et = event_type_of(data, type)
    return et.topic, new_event(
        et.type, source, data, subject=None if subject is None else str(subject), cause=cause, time=time, id=id
    )


def build_dumped(
    event_type: str, source: str, data: dict[str, Any], *, subject: str, id: uuid.UUID
) -> tuple[str, OutgoingEvent]:
    """`build_event` for data already validated and dumped as JSON (the gateway's batches, whose
    records go to Kafka encoded by `envelope.encode_many` and, when Kafka is away, to the outbox
    as these same events)."""
    et = EVENT_TYPES[event_type]
    return et.topic, new_event(et.type, source, data, subject=subject, id=id)


def topics_of(event_types: Iterable[str]) -> list[str]:
    """The topics that carry these event types: a consumer subscribes to what it handles."""
    try:
        return sorted({EVENT_TYPES[t].topic for t in event_types})
    except KeyError as exc:
        raise UnknownEventType(f"a handler names the unknown event type {exc.args[0]!r}") from None


class InvalidEventData(ValueError):
    pass


def parse_data(event: IncomingEvent) -> EventData:
    """Validate `event.data` against its registered schema, tolerating unknown fields."""
    et = EVENT_TYPES.get(event.type)
    if et is None:
        raise UnknownEventType(f"unknown event type {event.type!r}")
    try:
        return et.data.model_validate(_tolerant(et.data, event.data))
    except ValidationError as exc:
        raise InvalidEventData(f"invalid data for {event.type}: {describe_validation_error(exc)}") from None


_TYPED: dict[str, type[IncomingEvent] | None] = {}


def typed_envelope(event_type: str) -> type[IncomingEvent] | None:
    """A CloudEvent of this type, its data the registered model (unknown data fields ignored, as
    `parse_data` does): validated in one pass from the record's bytes (docs/performance.md)."""
    if event_type in _TYPED:
        return _TYPED[event_type]
    et = EVENT_TYPES.get(event_type)
    model: type[IncomingEvent] | None = None
    if et is not None:
        name = et.data.__name__
        tolerant = type(f"{name}In", (et.data,), {"model_config": ConfigDict(extra="ignore", frozen=True)})
        model = type(f"{name}Event", (IncomingEvent,), {"__annotations__": {"data": tolerant}, "__module__": __name__})
    _TYPED[event_type] = model
    return model


def decode_typed(raw: bytes | None, event_type: str) -> tuple[IncomingEvent, EventData] | None:
    """The envelope and its data validated in one pass from a record's bytes, for the type the
    record's header names (`sps-type`); None when that fails or the envelope names another type.
    Then the caller decodes the long way (`decode`, `parse_data`), whose errors say what is wrong,
    so a bad record's dead-letter reason never depends on the path."""
    if raw is None or NUL_ESCAPE in raw or (model := typed_envelope(event_type)) is None:
        return None
    try:
        event = model.model_validate_json(raw)
    except ValidationError:
        return None
    if event.type != event_type:
        return None
    return event, event.data  # type: ignore[return-value]


_KNOWN_FIELDS: dict[type[EventData], frozenset[str]] = {}


def _tolerant(model: type[EventData], data: dict[str, Any]) -> dict[str, Any]:
    # Cached: pydantic's `model_fields` is a deprecation-wrapped property that cost supervision
    # ~4 % of its CPU when read per record (docs/performance.md, section 4).
    known = _KNOWN_FIELDS.get(model)
    if known is None:
        known = _KNOWN_FIELDS[model] = frozenset(model.model_fields)
    if data.keys() <= known:
        return data
    return {k: v for k, v in data.items() if k in known}


def envelope_json_schema(event_type: str) -> dict[str, Any]:
    """JSON Schema of a whole CloudEvent of this type (envelope + data)."""
    et = EVENT_TYPES[event_type]
    data_schema = et.data.model_json_schema(ref_template="#/$defs/{model}")
    defs = data_schema.pop("$defs", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://sps.jiangyin.example/schemas/{event_type}.json",
        "title": event_type,
        "description": et.summary,
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "format": "uuid"},
            "source": {"type": "string", "pattern": "^/sps/"},
            "type": {"const": event_type},
            "time": {"type": "string", "format": "date-time"},
            "subject": {"type": "string"},
            "datacontenttype": {"const": "application/json"},
            "correlationid": {"type": "string"},
            "causationid": {"type": "string"},
            "data": data_schema,
        },
        "$defs": defs,
    }
