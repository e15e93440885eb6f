"""The procuratorate's notices (检察建议, 纠正违法通知) on the console: each office sees its own, the
county every one; the office replies (`procuratorate.reply`), and the reply goes back."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.command_centre.deps import Parts, User
from services.command_centre.persons import audit_read
from shared import audit
from shared import staff_steps as steps

router = APIRouter(tags=["staff"])


@router.get("/api/v1/procuratorate-notices")
async def notices(parts: Parts, user: User) -> list[dict]:
    """The notices, newest first, with their reply deadline and reply."""
    params = {} if user.county_wide else {"jurisdiction": user.office}
    rows: list[dict] = await parts.supervision.call("GET", "/internal/v1/procuratorate-notices", params=params)
    await audit_read(parts, user, f"procuratorate-notices:{user.office}")
    return [r for r in rows if user.sees(r["office"])]


@router.post("/api/v1/procuratorate-notices/{notice_id}/reply")
async def reply(notice_id: uuid.UUID, body: steps.NoticeReply, parts: Parts, user: User) -> dict:
    """The office's reply (supervision checks the notice's office and that it is the first)."""
    user.require("procuratorate.reply")
    data: dict = await parts.supervision.call(
        "POST", f"/internal/v1/procuratorate-notices/{notice_id}/reply", actor=user, json=body.model_dump()
    )
    async with parts.runtime.uow() as uow:
        person = uuid.UUID(data["person_id"]) if data.get("person_id") else None
        audit.record(uow, user, action="update", resource="procuratorate-notice", person_id=person, purpose="检察监督")
    return data
