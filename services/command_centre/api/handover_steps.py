"""The handover's staff steps (安置帮教衔接) at the command centre: one forwarding route per row of
`shared/handover_steps.py`, each with its step's own body, so the OpenAPI document, the validation
and the owner's route are one contract. Each checks the body is JSON (L4), asks handover which
authority the handover needs (an unlinked notice is the county's), audits and forwards.

No `from __future__ import annotations` here: the routes are made at import with each step's body
class as a real annotation, which FastAPI reads to validate and document it."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from services.command_centre.deps import CommandCentreParts, Parts, User
from shared import audit
from shared.authority import Actor
from shared.handover_steps import HANDOVER_STEPS, HandoverStep
from shared.http import ProblemError

router = APIRouter()


def json_only(request: Request) -> None:
    """L4: only a JSON body, said so (a form a foreign page can post without a preflight is not one)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ProblemError(415, "Unsupported Media Type", "a step's body is JSON (Content-Type: application/json)")


async def forward(
    parts: CommandCentreParts, user: Actor, handover_id: uuid.UUID, name: str, body: BaseModel
) -> tuple[int, Any]:
    current = await parts.handover.call("GET", f"/internal/v1/handovers/{handover_id}")
    # An unlinked notice (no office yet) is the county's to resolve.
    user.require("handover.step" if current["justice_office"] else "handover.resolve", current["justice_office"])
    async with parts.runtime.uow() as uow:
        audit.record(
            uow,
            user,
            action="update",
            resource=f"handover:{name}",
            person_id=uuid.UUID(current["person_id"]),
            purpose="安置帮教衔接 (handover)",
        )
    path = f"/internal/v1/handovers/{handover_id}/{name}"
    return await parts.handover.exchange("POST", path, json=body.model_dump(mode="json"), actor=user)


def _route(name: str, step: HandoverStep) -> None:
    async def take(
        handover_id: uuid.UUID,
        body: BaseModel,
        parts: Parts,
        user: User,
        response: Response,
        _json: Annotated[None, Depends(json_only)],
    ) -> Any:
        status, record = await forward(parts, user, handover_id, name, body)
        response.status_code = status
        return record

    take.__annotations__["body"] = step.body  # the step's own body: validated and documented as such
    take.__name__ = f"handover_{name.replace('-', '_')}"
    router.add_api_route(
        f"/api/v1/handovers/{{handover_id}}/{name}",
        take,
        methods=["POST"],
        tags=["staff"],
        summary=step.summary,
        status_code=step.status,
    )


for _name, _step in HANDOVER_STEPS.items():
    _route(_name, _step)
