"""The end of a corrections term at the office (解矫, docs/domain.md §1, "The end of a case"):
the announcement (解矫宣告) and the certificate (解除社区矫正证明书), printed as a PDF."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from services.command_centre.adapters.certificate_pdf import FontMissing, render
from services.command_centre.deps import Parts, User
from services.command_centre.domain.certificate import ending_certificate
from services.command_centre.persons import for_person
from shared.errors import Unavailable

router = APIRouter(tags=["staff"])


@router.get("/api/v1/persons/{person_id}/ending-certificate.pdf", response_class=Response)
async def ending_certificate_pdf(person_id: uuid.UUID, parts: Parts, user: User) -> Response:
    """解除社区矫正证明书 (PDF, A4, zh-CN): the one staff document that names the person, so the
    identity is opened from the exchange's vault for it, and the read is audited."""
    user.require("case.ending_certificate")
    ending = await for_person(
        parts,
        user,
        person_id,
        "supervision",
        "GET",
        f"/internal/v1/persons/{person_id}/case-ending",
        resource="identity:ending-certificate",
    )
    identity = await parts.exchange.call("GET", f"/internal/v1/identities/{person_id}", actor=user)
    certificate = ending_certificate(ending, identity, issued_on=parts.runtime.county.day_of(datetime.now(UTC)))
    try:  # drawing a page of CJK takes a few hundred ms: off the event loop
        pdf = await asyncio.to_thread(render, certificate, parts.certificate_fonts)
    except FontMissing as exc:
        raise Unavailable(str(exc)) from None
    name = quote(f"解除社区矫正证明书-{ending['certificate_no']}.pdf")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{name}", "Cache-Control": "no-store"},
    )
