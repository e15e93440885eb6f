"""The console's API types are made from the command centre's own OpenAPI document
(docs/console.md): the committed document must be the one the code serves now, so a staff route
changed without `make console-api` fails here, and the console's type check (`make lint`) then
holds every URL, method and typed answer the console uses to it."""

from __future__ import annotations

import json

from services.command_centre.openapi import CONSOLE_OPENAPI, render, staff_openapi


def test_the_consoles_openapi_document_is_the_one_the_command_centre_serves() -> None:
    committed = CONSOLE_OPENAPI.read_text(encoding="utf-8")
    served = render(staff_openapi())
    if committed != served:
        now, then = json.loads(served)["paths"], json.loads(committed)["paths"]
        changed = sorted(p for p in now.keys() | then.keys() if now.get(p) != then.get(p))
        stale = "console/openapi.json is not what the code serves (run `make console-api`)"
        raise AssertionError(f"{stale}: {changed[:10]}")


def test_the_routes_the_console_types_by_their_answer_say_what_they_answer() -> None:
    """The answers the console reads as named types (Schemas["Me"], ["AlertData"], ["PersonLabel"])."""
    paths = staff_openapi()["paths"]

    def answer(path: str, method: str) -> str:
        schema = paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        return json.dumps(schema)

    assert '"#/components/schemas/Me"' in answer("/api/v1/me", "get")
    assert '"#/components/schemas/AlertData"' in answer("/api/v1/alerts", "get")
    assert '"#/components/schemas/PersonLabel"' in answer("/api/v1/person-labels", "post")
