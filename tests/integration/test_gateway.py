"""The gateway in process, against the real broker and database: tokens, scopes, bad input
(problem+json naming the field, nothing on Kafka), and identity never in clear on Kafka."""

from __future__ import annotations

import asyncio
import copy

import httpx
import orjson
import pytest

from services.exchange.main import ExchangeSettings, create_app
from shared import topics
from shared.identity import derive_person_id
from tests.factories import random_id_number
from tests.kafka_helpers import end_offsets, read_topic

ORDER = {
    "order_no": "(2026)苏0281刑初900号",
    "court": "江阴市人民法院",
    "person": {
        "name": "李四",
        "id_number": "11010519491231002X",
        "sex": "M",
        "phone": "13800000000",
        "residence": {"town": "华士镇", "address": "华士镇某路1号"},
    },
    "sentence_kind": "parole",
    "offence": "盗窃罪",
    "offence_category": "property",
    "term_start": "2026-12-01",
    "term_end": "2027-11-30",
    "electronic_monitoring": False,
}
FIX = {
    "person_id": "07b8c457-9874-8847-9e4c-bbe58aa29a0b",
    "device_id": "EM-1",
    "lat": 31.9,
    "lon": 120.3,
    "accuracy_m": 10,
    "recorded_at": "2026-11-02T08:00:00Z",
}
INGEST = [topics.COURT_ORDERS, topics.LOCATIONS, topics.CHECKINS]


@pytest.fixture(scope="module")
async def gateway(stack):
    settings = ExchangeSettings(
        demo_mode=True,
        kafka_bootstrap_servers=stack.bootstrap,
        database_url=stack.database_url,
        database_name="sps_test_exchange_inproc",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.parts.runtime
        await asyncio.wait_for(runtime.started.wait(), timeout=60)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            yield app, client


async def token(client: httpx.AsyncClient, agency: str) -> dict[str, str]:
    r = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": f"{agency}-demo",
            "client_secret": f"{agency}-demo-secret",
        },
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def assert_problem(r: httpx.Response, status: int, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"]
    if field:
        assert field in {e["field"] for e in body.get("errors", [])}, body
    return body


async def test_token_errors(gateway):
    _, client = gateway
    r = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": "court-demo", "client_secret": "nope"}
    )
    assert_problem(r, 401, "client_secret")
    r = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "court-demo",
            "client_secret": "court-demo-secret",
            "scope": "police:read",
        },
    )
    assert_problem(r, 400, "scope")
    r = await client.post("/oauth/token", data={"client_id": "court-demo"})
    assert_problem(r, 400, "grant_type")
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert jwks["keys"][0]["alg"] == "ES256" and "d" not in jwks["keys"][0]  # public part only


@pytest.mark.parametrize(
    "path,body",
    [
        ("/v1/court-orders", ORDER),
        ("/v1/locations", {"fixes": [FIX]}),
        ("/v1/checkins", {"checkins": [{**FIX, "channel": "app"}]}),
    ],
)
async def test_401_without_token_and_403_with_another_scope(gateway, path, body):
    _, client = gateway
    assert_problem(await client.post(path, json=body), 401)
    assert_problem(await client.post(path, json=body, headers={"Authorization": "Bearer not.a.jwt"}), 401)
    wrong = await token(client, "police")
    assert_problem(await client.post(path, json=body, headers=wrong), 403)


def order_with(path: list, value=None, delete: bool = False) -> dict:
    order = copy.deepcopy(ORDER)
    target = order
    for p in path[:-1]:
        target = target[p]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return order


@pytest.mark.parametrize(
    "body,field",
    [
        (order_with(["person", "id_number"], "110105194912310021"), "person.id_number"),  # wrong check digit
        (order_with(["court"], delete=True), "court"),  # missing
        (order_with(["person", "residence", "town"], "上海市"), "person.residence.town"),  # not a Jiangyin office
        (order_with(["term_start"], "not a date"), "term_start"),
    ],
)
async def test_bad_court_orders_are_422_naming_the_field_and_nothing_reaches_kafka(stack, gateway, body, field):
    _, client = gateway
    before = await end_offsets(stack.bootstrap, INGEST)
    r = await client.post("/v1/court-orders", json=body, headers=await token(client, "court"))
    problem = assert_problem(r, 422, field)
    assert "Traceback" not in r.text and "11010519491231002" not in r.text  # no stack trace, no identity echoed
    assert problem["detail"]
    assert await end_offsets(stack.bootstrap, INGEST) == before


async def test_latitude_200_is_422_naming_the_fix(stack, gateway):
    _, client = gateway
    before = await end_offsets(stack.bootstrap, INGEST)
    r = await client.post(
        "/v1/locations", json={"fixes": [FIX, {**FIX, "lat": 200}]}, headers=await token(client, "device")
    )
    assert_problem(r, 422, "fixes[1].lat")
    # NUL, which no record can store, is refused at the door, not retried at the database.
    r = await client.post(
        "/v1/locations", json={"fixes": [FIX, {**FIX, "device_id": "EM\x00"}]}, headers=await token(client, "device")
    )
    assert_problem(r, 422, "fixes[1].device_id")
    r = await client.post(
        "/v1/locations",
        content=b"{not json",
        headers={**await token(client, "device"), "content-type": "application/json"},
    )
    assert_problem(r, 422)
    assert await end_offsets(stack.bootstrap, INGEST) == before


async def test_a_good_order_is_accepted_with_the_derived_person_id_and_no_identity_on_kafka(stack, gateway):
    app, client = gateway
    r = await client.post("/v1/court-orders", json=ORDER, headers=await token(client, "court"))
    assert r.status_code == 202, r.text
    person_id = str(derive_person_id(ORDER["person"]["id_number"], app.state.parts.person_key))
    assert r.json()["person_id"] == person_id and r.json()["case_id"]
    records = await read_topic(stack.bootstrap, topics.COURT_ORDERS, min_count=1)
    mine = [rec for rec in records if orjson.loads(rec.value)["data"].get("order_no") == ORDER["order_no"]]
    assert len(mine) == 1
    raw = mine[0].value.decode()
    event = orjson.loads(raw)
    assert event["subject"] == person_id and mine[0].key.decode() == person_id
    assert event["data"]["person"]["id_number_masked"] == "1101**********002X"
    for secret in ("11010519491231002X", "13800000000", "李四", "某路"):
        assert secret not in raw


async def test_an_order_number_is_taken_once_same_content_again_is_the_first_answer(stack, gateway):
    _, client = gateway
    court = await token(client, "court")
    first = {**copy.deepcopy(ORDER), "order_no": "(2026)苏0281刑初901号"}
    r1 = await client.post("/v1/court-orders", json=first, headers=court)
    assert r1.status_code == 202, r1.text
    before = await end_offsets(stack.bootstrap, INGEST)
    again = await client.post("/v1/court-orders", json=copy.deepcopy(first), headers=court)  # no Idempotency-Key
    assert again.status_code == 202 and again.json() == r1.json()
    other = copy.deepcopy(first)
    other["person"]["id_number"] = random_id_number()
    other["person"]["name"] = "王五"
    r = await client.post("/v1/court-orders", json=other, headers=court)
    problem = assert_problem(r, 409)
    assert first["order_no"] in problem["detail"]
    assert await end_offsets(stack.bootstrap, INGEST) == before  # nothing new on Kafka for either
    another_court = {**copy.deepcopy(first), "court": "无锡市中级人民法院"}
    assert_problem(await client.post("/v1/court-orders", json=another_court, headers=court), 403)


async def test_a_fix_or_check_in_from_the_future_is_refused(stack, gateway):
    from datetime import UTC, datetime, timedelta

    _, client = gateway
    device = await token(client, "device")
    now = datetime.now(UTC)
    ahead = {**FIX, "recorded_at": (now + timedelta(minutes=6)).isoformat()}
    before = await end_offsets(stack.bootstrap, INGEST)
    r = await client.post("/v1/locations", json={"fixes": [FIX, ahead]}, headers=device)
    assert_problem(r, 422, "fixes[1].recorded_at")
    r = await client.post("/v1/checkins", json={"checkins": [{**ahead, "channel": "app"}]}, headers=device)
    assert_problem(r, 422, "checkins[0].recorded_at")
    assert await end_offsets(stack.bootstrap, INGEST) == before  # none of the batch went on
    fast = {**FIX, "recorded_at": (now + timedelta(minutes=2)).isoformat()}  # a clock a little fast
    assert (await client.post("/v1/locations", json={"fixes": [fast]}, headers=device)).status_code == 202
