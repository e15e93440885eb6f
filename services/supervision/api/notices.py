"""The procuratorate's notices to the justice offices (检察监督) and the offices' replies. HTTP
in, a command or a query out."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends

from services.supervision import procuratorate
from services.supervision.deps import Parts
from shared import staff_steps as steps
from shared.authority import ActingStaff
from shared.deps import StaffActor
from shared.internal import require_internal

router = APIRouter(prefix="/internal/v1", tags=["supervision"], dependencies=[Depends(require_internal)])


class NoticeReplyIn(ActingStaff, steps.NoticeReply):
    pass


@router.get("/procuratorate-notices")
async def notices(parts: Parts, jurisdiction: str | None = None) -> list[dict[str, Any]]:
    """One office's notices (all of them for the county), newest first, replied or not."""
    async with parts.runtime.uow() as uow:
        rows = await procuratorate.notices(parts.ctx, uow, jurisdiction)
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows]


@router.post("/procuratorate-notices/{notice_id}/reply")
async def reply(actor: StaffActor, notice_id: uuid.UUID, body: NoticeReplyIn, parts: Parts) -> dict[str, Any]:
    """The office's reply, once: it goes back to the procuratorate."""
    async with parts.runtime.uow() as uow:
        data = await procuratorate.reply_to_notice(parts.ctx, uow, actor, notice_id, body)
    return data.model_dump(mode="json")
