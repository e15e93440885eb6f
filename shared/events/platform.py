"""What every service publishes through the shared plumbing: the audit trail and sign-in bursts."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, Field

from shared.events.base import EventData, Signal


class SignInBurst(Signal):
    """Many failed sign-ins or token requests from one address in a short time (contract §7.2):
    someone may be guessing. About no person (`person_id` is the nil UUID); for the duty desk."""

    door: Literal["staff_sign_in", "agency_token"]
    address: str = Field(max_length=64)
    attempts: int = Field(ge=1)


class AuditRecorded(EventData):
    """Who read or changed a person's data, and why (kept hash-chained by the gateway)."""

    actor: str
    agency: str
    role: str
    action: Literal["read", "create", "update", "delete"]
    resource: str
    person_id: uuid.UUID | None = None
    purpose: str
    at: AwareDatetime
    service: str
