"""The gateway's one-pass body (shared/http.OnePassJsonRoute): a JSON body pydantic-core decodes
and validates from its bytes must give the handler the same model FastAPI's own route gives, and
every refusal must be answered exactly as FastAPI's own route answers it."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from bench import load
from services.exchange.domain.requests import LocationBatch
from shared.http import OnePassJsonRoute, install_problem_handlers


def app(route_class: type | None) -> FastAPI:
    router = APIRouter(route_class=route_class) if route_class else APIRouter()
    seen: list[LocationBatch] = []

    @router.post("/v1/locations")
    async def locations(body: LocationBatch) -> dict[str, Any]:
        seen.append(body)
        return {"fixes": len(body.fixes)}

    application = FastAPI()
    application.include_router(router)
    install_problem_handlers(application)
    application.state.seen = seen
    return application


FAST, PLAIN = TestClient(app(OnePassJsonRoute)), TestClient(app(None))
GOOD = {"fixes": [load.gateway_fix(i) for i in range(3)]}


def post(client: TestClient, body: bytes) -> tuple[int, Any]:
    r = client.post("/v1/locations", content=body, headers={"content-type": "application/json"})
    return r.status_code, r.json()


def test_a_good_body_is_decoded_once_by_pydantic_core_into_the_same_model(monkeypatch):
    loads: list[bytes] = []
    real = json.loads
    monkeypatch.setattr(json, "loads", lambda s, *a, **k: loads.append(s) or real(s, *a, **k))
    body = orjson.dumps({**GOOD, "extra": "ignored"})
    assert post(FAST, body) == (200, {"fixes": 3})
    assert body not in loads  # no standard-library decode on the way in
    assert post(PLAIN, body) == (200, {"fixes": 3})
    assert body in loads, "the plain route decodes with json.loads (else this test shows nothing)"
    fast, plain = FAST.app.state.seen[-1], PLAIN.app.state.seen[-1]  # type: ignore[attr-defined]
    assert type(fast) is type(plain) is LocationBatch
    assert fast == plain


def _fix(**changes: Any) -> dict[str, Any]:
    return {**load.gateway_fix(1), **changes}


BAD = {
    "not JSON": b'{"fixes": [',
    "empty object": b"{}",
    "a list, not an object": b"[]",
    "no fixes": orjson.dumps({"fixes": []}),
    "latitude out of range": orjson.dumps({"fixes": [_fix(lat=91.0)]}),
    "latitude as text": orjson.dumps({"fixes": [_fix(lat="north")]}),
    "no person": orjson.dumps({"fixes": [{k: v for k, v in _fix().items() if k != "person_id"}]}),
    "time not a time": orjson.dumps({"fixes": [_fix(recorded_at="yesterday")]}),
    "one bad among good ones": orjson.dumps({"fixes": [_fix(), _fix(), _fix(accuracy_m=-5)]}),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_refused_body_is_answered_exactly_as_fastapi_answers_it(case):
    fast, plain = post(FAST, BAD[case]), post(PLAIN, BAD[case])
    assert fast[0] in (400, 422), fast
    assert fast == plain
