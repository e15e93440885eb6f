"""The staff steps on a person's case at the command centre: one forwarding route per row of
`shared/person_steps.py`, each with its step's own body, so the OpenAPI document, the validation
and supervision's route are one contract. Each checks the role, audits and forwards
(`persons.staff_step`); supervision checks again with the case's office.

No `from __future__ import annotations` here: the routes are made at import with each step's body
class as a real annotation, which FastAPI reads to validate and document it."""

import inspect
import re
import uuid
from typing import Any

from fastapi import APIRouter

from services.command_centre.deps import Parts, User
from services.command_centre.persons import staff_step
from shared.person_steps import PERSON_STEPS, PersonStep

router = APIRouter()

_PARAM = re.compile(r"\{(\w+)\}")


def _route(suffix: str, step: PersonStep) -> None:
    ids = ["person_id", *_PARAM.findall(suffix)]
    keyword = inspect.Parameter.KEYWORD_ONLY

    # A step whose route says all (an approval) takes an empty body or none, as it always has.
    if step.body_may_be_left_out:
        body = inspect.Parameter("body", keyword, annotation=step.body | None, default=None)
    else:
        body = inspect.Parameter("body", keyword, annotation=step.body)

    async def take(**given: Any) -> Any:
        person_id = given["person_id"]
        given["body"] = given["body"] or step.body()
        owner = (step.owner_path or f"persons/{{person_id}}/{suffix}").format(**given)
        return await staff_step(
            given["parts"],
            given["user"],
            person_id,
            step.method,
            owner,
            given["body"],
            step.may.format(**given["body"].model_dump()) if step.may else None,
            step.access,
            resource=step.audited_as(),
        )

    take.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, keyword, annotation=uuid.UUID) for name in ids]
        + [
            body,
            inspect.Parameter("parts", keyword, annotation=Parts),
            inspect.Parameter("user", keyword, annotation=User),
        ]
    )
    take.__name__ = "person_" + re.sub(r"\W+", "_", _PARAM.sub("", suffix)).strip("_")
    router.add_api_route(
        f"/api/v1/persons/{{person_id}}/{suffix}",
        take,
        methods=[step.method],
        tags=["staff"],
        summary=step.summary,
        status_code=step.status,
    )


for _suffix, _step in PERSON_STEPS.items():
    _route(_suffix, _step)
