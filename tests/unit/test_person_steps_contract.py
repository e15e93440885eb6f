"""The staff steps on a person's case are one table (shared/person_steps.py): the command centre's
forwarding route and supervision's own route of every step take that step's body, use its method
and answer with its status; the command centre has no hand-written route for a step in the table."""

from __future__ import annotations

from fastapi.routing import APIRoute

from services.command_centre.api import MODULES as COMMAND_CENTRE
from services.command_centre.api import person_steps as forwarding
from services.supervision.api import MODULES as SUPERVISION
from shared.person_steps import PERSON_STEPS


def _routes(routes) -> dict[tuple[str, str], APIRoute]:
    return {(r.path, m): r for r in routes if isinstance(r, APIRoute) for m in r.methods}


def _body(route: APIRoute) -> type:
    """The step's body; a body that may be left out is annotated `Body | None`."""
    annotation = route.body_field.field_info.annotation
    real = [a for a in getattr(annotation, "__args__", (annotation,)) if a is not type(None)]
    assert len(real) == 1, annotation
    return real[0]


def test_both_sides_of_every_person_step_take_its_body_and_answer_its_status():
    ours = _routes(forwarding.router.routes)
    owner = _routes([r for module in SUPERVISION for r in module.router.routes])
    assert {path.removeprefix("/api/v1/persons/{person_id}/") for path, _ in ours} == set(PERSON_STEPS)
    for suffix, step in PERSON_STEPS.items():
        public = ours[(f"/api/v1/persons/{{person_id}}/{suffix}", step.method)]
        internal = owner[(f"/internal/v1/{step.owner_path or 'persons/{person_id}/' + suffix}", step.method)]
        assert _body(public) is step.body, suffix
        assert issubclass(_body(internal), step.body), suffix
        assert public.status_code == step.status == (internal.status_code or 200), suffix


def test_every_step_of_the_table_has_one_route_at_the_command_centre():
    routes = [r for module in COMMAND_CENTRE for r in module.router.routes]
    paths = [(r.path, m) for r in routes if isinstance(r, APIRoute) for m in r.methods]
    for suffix, step in PERSON_STEPS.items():
        assert paths.count((f"/api/v1/persons/{{person_id}}/{suffix}", step.method)) == 1, suffix
