"""What handover publishes on handover.events.v1: notices opened, arrivals, missed intake."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import AwareDatetime

from shared.events.base import EventData, Signal
from shared.events.ingest import MaskedPerson


class HandoverOpened(EventData):
    """A notice received and verified (信息核查): linked to a justice office, or on the unlinked list."""

    handover_id: uuid.UUID
    person_id: uuid.UUID
    kind: Literal["release", "rehab"]
    notice_no: str
    source: str
    release_date: date
    destination_town: str
    linked: bool
    justice_office: str | None = None
    unlinked_reason: str | None = None
    key_person: bool
    key_reasons: list[str] = []


class ArrivalRegistered(EventData):
    """A released person registered at the justice office: a resettlement or aftercare case opens."""

    handover_id: uuid.UUID
    person_id: uuid.UUID
    kind: Literal["release", "rehab"]
    justice_office: str
    arrived_at: AwareDatetime
    release_date: date
    key_person: bool
    case_years: int
    person: MaskedPerson
    community_rehabilitation: bool = False  # 社区康复: report within the policy window of the order


class InformationSupplemented(EventData):
    """信息补录: what the office learned of a released person after arrival (employment, family,
    housing, substance use). Risk takes the instrument's items from it and assesses again."""

    handover_id: uuid.UUID
    person_id: uuid.UUID
    justice_office: str
    employment: Literal["employed", "unemployed"] | None = None
    family_support: Literal["strong", "weak", "none"] | None = None
    housing: Literal["stable", "temporary", "none"] | None = None
    substance_use: Literal["none", "past", "current"] | None = None
    recorded_by: str
    recorded_at: AwareDatetime


class ReleaseIntakeMissed(Signal):
    pass


class RehabArrivalMissed(Signal):
    """社区康复: a releasee ordered to community rehabilitation, key person or not, who did not come
    to the office within the window of the release (docs/rules.md)."""


class PickupUnplanned(Signal):
    release_date: date


class ReceiptOverdue(Signal):
    notice_no: str
