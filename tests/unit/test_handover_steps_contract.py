"""#38: the handover's staff steps are one table (shared/handover_steps.py): the command centre's
forwarding route and handover's own route of every step take that step's body, and answer with
the step's status; neither side has a step the table does not."""

from __future__ import annotations

from fastapi.routing import APIRoute

from services.command_centre.api import handover_steps as forwarding
from services.handover.api import router as handover
from shared.handover_steps import HANDOVER_STEPS


def _steps(routes, prefix: str) -> dict[str, APIRoute]:
    return {
        r.path.removeprefix(prefix): r
        for r in routes
        if isinstance(r, APIRoute) and r.path.startswith(prefix) and "POST" in r.methods and r.path.count("/") == 5
    }


def test_both_sides_of_every_handover_step_take_its_body_and_answer_its_status():
    ours = _steps(forwarding.router.routes, "/api/v1/handovers/{handover_id}/")
    owner = _steps(handover.routes, "/internal/v1/handovers/{handover_id}/")
    assert set(ours) == set(HANDOVER_STEPS)
    assert set(HANDOVER_STEPS) <= set(owner)
    for name, step in HANDOVER_STEPS.items():
        assert ours[name].body_field.field_info.annotation is step.body, name
        assert issubclass(owner[name].body_field.field_info.annotation, step.body), name
        assert ours[name].status_code == step.status == (owner[name].status_code or 200), name
