"""The common ground of every event's `data`: closed models, UTC datetimes, the signal shape."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:30+01:00 has no UTC datetime: a validation error, not a crash
        raise ValueError("the time is out of range in UTC") from None


# The same instant on the shared UTC tzinfo: pydantic gives every parsed datetime a tzinfo
# object of its own, and supervision keeps each person's last fix time (100k of them: 10 MB of
# tzinfo objects, and a slower utcoffset on every comparison; docs/performance.md, section 5).
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signal(EventData):
    """Something that may raise an alert. `cause` names this occurrence (an episode, a deadline):
    the same rule, person and cause always make the same alert."""

    person_id: uuid.UUID
    jurisdiction: str
    cause: str = Field(min_length=1, max_length=200)
    observed_at: AwareDatetime
    evidence: list[str] = []
    case_id: uuid.UUID | None = None
