"""Data protection at the gateway, in process against the real broker and database."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import orjson
import pytest
import sqlalchemy as sa

from services.exchange.adapters.tables import audit as audit_table
from services.exchange.auth import SigningKey
from services.exchange.domain.clients import AGENCY_SCOPES
from services.exchange.main import ExchangeSettings, create_app
from shared import topics
from shared.envelope import new_event
from shared.events import MaskedPerson, PoliceHandoverIssued, ReceiptIssued
from shared.identity import derive_person_id
from shared.kafka.producer import EventProducer
from tests.factories import court_order, random_id_number
from tests.kafka_helpers import read_topic, scratch_broker, start_scratch_broker

PERSON_KEY = b"sps-demo-person-id-key"


@contextlib.asynccontextmanager
async def gateway(stack, name: str, bootstrap: str | None = None, wait_started: bool = True, **extra):
    settings = ExchangeSettings(
        service_name=name,
        demo_mode=True,
        kafka_bootstrap_servers=bootstrap or stack.bootstrap,
        database_url=stack.database_url,
        outbox_poll_interval_s=0.2,
        **extra,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        if wait_started:
            await asyncio.wait_for(app.state.parts.runtime.started.wait(), timeout=60)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            yield app, client


async def bearer(client: httpx.AsyncClient, agency: str) -> dict[str, str]:
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


def release_notice(prison: str = "江苏省苏州监狱", id_number: str | None = None, town: str = "华士镇") -> dict:
    return {
        "notice_no": f"苏狱释-{uuid.uuid4().hex[:8]}",
        "prison": prison,
        "person": {
            "name": "赵六",
            "id_number": id_number or random_id_number(),
            "sex": "M",
            "residence": {"town": town, "address": "某村"},
        },
        "offence": "故意伤害罪",
        "offence_category": "violent",
        "release_date": "2027-01-15",
        "sentence_months": 60,
        "reform_performance": "poor",
        "prison_risk_rating": "high",
        "destination": {"town": town, "address": "某村"},
    }


async def test_every_route_answers_401_without_a_token_and_403_with_every_wrong_scope(stack):
    """Walks the OpenAPI document: every operation declares its scope, and holds to it."""
    async with gateway(stack, "exchange_walk") as (app, client):
        tokens = {agency: await bearer(client, agency) for agency in AGENCY_SCOPES}
        paths = app.openapi()["paths"]
        checked = operations = 0
        for path, ops in paths.items():
            for method, op in ops.items():
                if path in ("/oauth/token", "/.well-known/jwks.json"):
                    assert "security" not in op
                    continue
                assert op.get("security"), f"{method} {path} declares no scope"
                # Each requirement is one scope; more than one: any of them will do (OpenAPI's OR).
                scopes = {s for requirement in op["security"] for s in requirement["agencyClient"]}
                assert len(scopes) == len(op["security"]), f"{method} {path} needs one scope per requirement"
                operations += 1
                r = await client.request(method, path, json={})
                assert r.status_code == 401, (method, path, r.status_code)
                assert r.headers["content-type"].startswith("application/problem+json")
                for agency, header in tokens.items():
                    if scopes & AGENCY_SCOPES[agency]:
                        continue
                    r = await client.request(method, path, json={}, headers=header)
                    assert r.status_code == 403, (method, path, agency, r.status_code)
                    checked += 1
        assert operations >= 8 and checked >= 6 * operations - 8


async def test_key_rotation_keeps_old_tokens_valid_and_publishes_both_keys(stack):
    old, new = SigningKey.generate(), SigningKey.generate()
    async with gateway(stack, "exchange_rot", gateway_signing_key=old.pem()) as (_, client):
        old_token = await bearer(client, "police")
    async with gateway(stack, "exchange_rot", gateway_signing_key=new.pem(), gateway_previous_keys=old.pem()) as (
        _,
        client,
    ):
        jwks = (await client.get("/.well-known/jwks.json")).json()
        assert [k["kid"] for k in jwks["keys"]] == [new.kid, old.kid]
        assert (await client.get("/v1/police/handovers", headers=old_token)).status_code == 200
        fresh = await bearer(client, "police")
        import jwt

        assert jwt.get_unverified_header(fresh["Authorization"].split()[1])["kid"] == new.kid
    async with gateway(stack, "exchange_rot", gateway_signing_key=new.pem()) as (_, client):  # old key retired
        assert (await client.get("/v1/police/handovers", headers=old_token)).status_code == 401


async def test_rate_limit_answers_429_with_retry_after(stack):
    async with gateway(stack, "exchange_rate", rate_per_client_per_s=0.5, rate_burst=2) as (_, client):
        police = await bearer(client, "police")
        codes = [(await client.get("/v1/police/handovers", headers=police)).status_code for _ in range(3)]
        assert codes[:2] == [200, 200] and codes[2] == 429
        r = await client.get("/v1/police/handovers", headers=police)
        assert int(r.headers["Retry-After"]) >= 1 and r.headers["content-type"].startswith("application/problem+json")


async def test_idempotency_key_makes_a_retry_harmless_and_body_size_is_limited(stack):
    async with gateway(stack, "exchange_idem", max_body_bytes=50_000) as (app, client):
        court = await bearer(client, "court")
        order = court_order()
        key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
        first = await client.post("/v1/court-orders", json=order, headers={**court, **key})
        again = await client.post("/v1/court-orders", json=order, headers={**court, **key})
        assert first.status_code == again.status_code == 202 and first.json() == again.json()
        assert again.headers.get("Idempotent-Replayed") == "true"
        other = await client.post("/v1/court-orders", json=court_order(), headers={**court, **key})
        assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
        records = await read_topic(stack.bootstrap, topics.COURT_ORDERS, min_count=1)
        # The topic carries the court's other records too (revocation rulings): count its orders.
        assert sum(orjson.loads(r.value)["data"].get("order_no") == order["order_no"] for r in records) == 1
        fix = {
            "person_id": str(uuid.uuid4()),
            "device_id": "EM",
            "lat": 31.9,
            "lon": 120.3,
            "accuracy_m": 5,
            "recorded_at": "2026-11-02T08:00:00Z",
        }
        big = await client.post("/v1/locations", json={"fixes": [fix] * 500}, headers=await bearer(client, "device"))
        assert big.status_code == 413 and big.headers["content-type"].startswith("application/problem+json")
        device = await bearer(client, "device")
        body = orjson.dumps({"fixes": [fix] * 500})

        async def chunked():  # no Content-Length: the limit counts the chunks as they come
            for i in range(0, len(body), 4096):
                yield body[i : i + 4096]

        streamed = await client.post(
            "/v1/locations", content=chunked(), headers={**device, "Content-Type": "application/json"}
        )
        assert streamed.status_code == 413, streamed.text
        small = orjson.dumps({"fixes": [fix]})

        async def one_chunk():
            yield small

        ok = await client.post(
            "/v1/locations", content=one_chunk(), headers={**device, "Content-Type": "application/json"}
        )
        assert ok.status_code == 202, ok.text
        # Without a token nothing is read or parsed: 401 before the body, even a malformed one.
        anonymous = await client.post(
            "/v1/locations", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert anonymous.status_code == 401 and anonymous.headers["content-type"].startswith("application/problem+json")
        assert "frame-ancestors 'none'" in anonymous.headers["content-security-policy"]
        assert ok.headers["cache-control"] == "no-store" and ok.headers["x-content-type-options"] == "nosniff"


async def test_a_bad_since_is_a_422_naming_it_never_a_500(stack):
    async with gateway(stack, "exchange_since") as (app, client):
        police = await bearer(client, "police")
        for since in ("²", "9" * 30, "0001-01-01T00:00:00+14:00", "tomorrow", "2026-11-27T00:00:00"):
            r = await client.get("/v1/police/handovers", params={"since": since}, headers=police)
            assert r.status_code == 422, (since, r.text)
            assert r.json()["errors"][0]["field"] == "since"
        r = await client.get("/v1/police/exit-controls", params={"since": "12"}, headers=police)
        assert r.status_code == 200 and r.json()["next"] == "12"


async def test_prisons_send_and_read_only_their_own_and_the_same_person_keeps_one_id(stack):
    async with gateway(stack, "exchange_views") as (app, client):
        prison = await bearer(client, "prison")
        id_number = random_id_number()
        r = await client.post("/v1/release-notices", json=release_notice(id_number=id_number), headers=prison)
        assert r.status_code == 202, r.text
        assert r.json()["person_id"] == str(derive_person_id(id_number, PERSON_KEY)) and r.json()["handover_id"]
        order = court_order()
        order["person"]["id_number"] = id_number
        r2 = await client.post("/v1/court-orders", json=order, headers=await bearer(client, "court"))
        assert r2.json()["person_id"] == r.json()["person_id"]  # a court and a prison: one person id
        r = await client.post("/v1/release-notices", json=release_notice(prison="江苏省南京监狱"), headers=prison)
        assert r.status_code == 403

        person = uuid.UUID(r2.json()["person_id"])
        now = datetime.now(UTC)
        mine = ReceiptIssued(
            notice_no="N-1",
            prison="江苏省苏州监狱",
            person_id=person,
            status="linked",
            justice_office="华士镇",
            issued_at=now,
        )
        theirs = ReceiptIssued(
            notice_no="N-2",
            prison="江苏省南京监狱",
            person_id=uuid.uuid4(),
            status="linked",
            justice_office="华士镇",
            issued_at=now,
        )
        handover = PoliceHandoverIssued(
            handover_id=uuid.uuid4(),
            person_id=person,
            person=MaskedPerson(
                name_masked="赵*", id_number_masked="3202**********1234", sex="M", residence_town="华士镇"
            ),
            reasons=["poor_reform_performance"],
            release_date=date(2027, 1, 15),
            destination_town="华士镇",
            issued_at=now,
        )
        producer = EventProducer(stack.bootstrap, "test")
        await producer.start()
        await producer.publish_many(
            [
                (
                    topics.EXCHANGE_OUTBOUND,
                    new_event("sps.exchange.receipt", "/sps/handover", mine, subject=str(person)),
                ),
                (
                    topics.EXCHANGE_OUTBOUND,
                    new_event("sps.exchange.receipt", "/sps/handover", theirs, subject=str(theirs.person_id)),
                ),
                (
                    topics.EXCHANGE_OUTBOUND,
                    new_event("sps.exchange.police-handover", "/sps/handover", handover, subject=str(person)),
                ),
            ]
        )
        await producer.stop()
        items: list = []
        cursor = None
        for _ in range(200):  # follow the cursor: other tests may have put thousands of receipts before ours
            page = (await client.get("/v1/receipts", headers=prison, params={"since": cursor} if cursor else {})).json()
            items += page["items"]
            if any(i["notice_no"] == "N-1" for i in items):
                break
            if page["items"]:
                cursor = page["next"]
            else:
                await asyncio.sleep(0.2)
        assert any(i["notice_no"] == "N-1" for i in items)
        assert {i["prison"] for i in items} == {"江苏省苏州监狱"}
        police = await bearer(client, "police")
        seen_handovers, cursor = [], None
        while True:
            page = (
                await client.get(
                    "/v1/police/handovers",
                    headers=police,
                    params={"since": cursor, "limit": 1000} if cursor else {"limit": 1000},
                )
            ).json()
            if not page["items"]:
                break
            seen_handovers += page["items"]
            cursor = page["next"]
        assert any(i["person_id"] == str(person) for i in seen_handovers)
        assert (await client.get("/v1/police/handovers", headers=police, params={"since": cursor})).json()[
            "items"
        ] == []
        assert (await client.get("/v1/receipts", headers=prison, params={"since": "yesterday"})).status_code == 422

        trail = (
            await client.get(
                "/v1/audit", params={"person_id": str(person)}, headers=await bearer(client, "procuratorate")
            )
        ).json()
        seen = [(e["actor"], e["action"], e["resource"]) for e in trail["entries"]]
        assert ("court-demo", "create", f"court-order:{order['order_no']}") in seen
        assert any(a == "prison-demo" and act == "create" and res.startswith("release-notice:") for a, act, res in seen)
        assert ("prison-demo", "read", "receipt") in seen and ("police-demo", "read", "police-handover") in seen
        assert trail["chain"]["ok"] is True and trail["chain"]["checked"] >= len(seen)


async def test_changing_one_audit_row_breaks_the_chain_and_verification_says_where(stack):
    async with gateway(stack, "exchange_tamper") as (app, client):
        court = await bearer(client, "court")
        for _ in range(3):
            assert (await client.post("/v1/court-orders", json=court_order(), headers=court)).status_code == 202
        engine = app.state.parts.runtime.engine
        async with engine.connect() as conn:
            seqs = (await conn.execute(sa.select(audit_table.c.seq).order_by(audit_table.c.seq))).scalars().all()
        victim = seqs[1]
        with pytest.raises(Exception, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(
                    sa.update(audit_table)
                    .where(audit_table.c.seq == victim)
                    .values(content=sa.text('content || \'{"actor": "nobody"}\''))
                )
        async with engine.begin() as conn:  # a superuser going around the trigger
            await conn.execute(sa.text("ALTER TABLE audit DISABLE TRIGGER audit_append_only"))
            await conn.execute(
                sa.update(audit_table)
                .where(audit_table.c.seq == victim)
                .values(content=sa.text('content || \'{"actor": "nobody"}\''))
            )
            await conn.execute(sa.text("ALTER TABLE audit ENABLE TRIGGER audit_append_only"))
        trail = (
            await client.get(
                "/v1/audit", params={"person_id": str(uuid.uuid4())}, headers=await bearer(client, "procuratorate")
            )
        ).json()
        assert trail["chain"] == {
            "ok": False,
            "checked": 1,
            "first_bad_seq": victim,
            "reason": "its content does not match its hash",
        }


async def test_a_rewritten_chain_shows_without_the_key_and_against_its_signed_checkpoint(stack):
    """M2: the chain is keyed (HMAC with a key the database does not hold), every entry's person
    is checked, and a signed checkpoint sent out is an anchor a rewrite cannot match."""
    import hashlib

    import jwt

    from services.exchange.domain.audit import GENESIS

    async with gateway(stack, "exchange_anchor") as (app, client):
        court = await bearer(client, "court")
        procuratorate = await bearer(client, "procuratorate")
        for _ in range(3):
            assert (await client.post("/v1/court-orders", json=court_order(), headers=court)).status_code == 202
        parts = app.state.parts
        made = await parts.views.checkpoint(parts.tokens.keys, datetime.now(UTC))
        assert made is not None and await parts.views.checkpoint(parts.tokens.keys, datetime.now(UTC)) is None
        (kept,) = (await client.get("/v1/audit/checkpoints", headers=procuratorate)).json()[:1]
        jwk = (await client.get("/.well-known/jwks.json")).json()["keys"][0]
        claims = jwt.decode(kept["signature"], jwt.PyJWK(jwk).key, algorithms=["ES256"], issuer="sps-exchange")
        assert (claims["seq"], claims["hash"]) == (kept["seq"], kept["hash"])
        anchor = {"seq": kept["seq"], "hash": kept["hash"]}
        held = (await client.get("/v1/audit/anchor", params=anchor, headers=procuratorate)).json()
        assert held["matches"] is True and held["chain"]["ok"] is True

        # Someone with the database but not the key rewrites an entry and re-chains every hash
        # after it the old way (plain SHA-256): nothing lines up any more.
        engine = parts.runtime.engine
        async with engine.begin() as conn:
            rows = (await conn.execute(sa.select(audit_table).order_by(audit_table.c.seq))).all()
            await conn.execute(sa.text("ALTER TABLE audit DISABLE TRIGGER audit_append_only"))
            previous = GENESIS
            for row in rows:
                content = {**row.content, "actor": "nobody"} if row.seq == rows[0].seq else row.content
                digest = hashlib.sha256(
                    previous.encode() + b"|" + orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
                ).hexdigest()
                await conn.execute(
                    sa.update(audit_table)
                    .where(audit_table.c.seq == row.seq)
                    .values(content=content, prev_hash=previous, hash=digest)
                )
                previous = digest
            await conn.execute(sa.text("ALTER TABLE audit ENABLE TRIGGER audit_append_only"))
        trail = (await client.get("/v1/audit", params={"person_id": str(uuid.uuid4())}, headers=procuratorate)).json()
        assert trail["chain"]["ok"] is False  # from the checkpoint on: its entry changed
        assert trail["chain"]["reason"] == "the entry no longer matches its signed checkpoint"
        held = (await client.get("/v1/audit/anchor", params=anchor, headers=procuratorate)).json()
        assert held["matches"] is False and held["chain"]["first_bad_seq"] == rows[0].seq


async def test_an_entry_filed_under_another_person_breaks_the_chain(stack):
    async with gateway(stack, "exchange_refile") as (app, client):
        court = await bearer(client, "court")
        for _ in range(2):
            assert (await client.post("/v1/court-orders", json=court_order(), headers=court)).status_code == 202
        engine = app.state.parts.runtime.engine
        async with engine.begin() as conn:
            seq = (await conn.execute(sa.select(sa.func.max(audit_table.c.seq)))).scalar()
            await conn.execute(sa.text("ALTER TABLE audit DISABLE TRIGGER audit_append_only"))
            await conn.execute(sa.update(audit_table).where(audit_table.c.seq == seq).values(person_id=uuid.uuid4()))
            await conn.execute(sa.text("ALTER TABLE audit ENABLE TRIGGER audit_append_only"))
        trail = (
            await client.get(
                "/v1/audit", params={"person_id": str(uuid.uuid4())}, headers=await bearer(client, "procuratorate")
            )
        ).json()
        assert trail["chain"]["first_bad_seq"] == seq
        assert trail["chain"]["reason"] == "it is filed under another person than its content names"


async def test_rotating_the_identity_key_reseals_every_identity_and_the_old_key_can_go(stack):
    import io
    import os

    from services.exchange.adapters.tables import identities
    from services.exchange.adapters.vault import IdentityCipher, UnknownKeyVersion
    from services.exchange.rotate_identities import rotate

    async with gateway(stack, "exchange_rotate") as (app, client):
        court = await bearer(client, "court")
        for _ in range(3):
            assert (await client.post("/v1/court-orders", json=court_order(), headers=court)).status_code == 202
        parts = app.state.parts
        old = parts.cipher  # demo mode: version 1
        new_key = os.urandom(32)
        new = IdentityCipher({1: _demo_identity_key(), 2: new_key}, 2)  # the old key still readable
        out = io.StringIO()
        url = parts.runtime.settings.service_database_url
        assert await rotate(url, new, batch=2, out=out) == 3
        assert "re-sealed 2 of 3" in out.getvalue() and await rotate(url, new, out=io.StringIO()) == 0
        async with parts.runtime.engine.connect() as conn:
            rows = (
                await conn.execute(sa.select(identities.c.person_id, identities.c.sealed, identities.c.key_version))
            ).all()
        assert rows and {r.key_version for r in rows} == {2}
        only_new = IdentityCipher({2: new_key}, 2)  # the old key can go
        for r in rows:
            assert only_new.open(r.person_id, r.sealed, 2)["id_number"]
            with pytest.raises(UnknownKeyVersion):
                old.open(r.person_id, r.sealed, 2)


def _demo_identity_key() -> bytes:
    import hashlib

    return hashlib.sha256(b"sps-demo-identity-key").digest()


async def test_with_the_broker_stopped_a_batch_gets_202_or_503_and_every_202_reaches_kafka(stack, tmp_path: Path):
    node = scratch_broker(tmp_path / "kafka", 29392)  # the replicated platform has 29292 up
    await start_scratch_broker(node)
    try:
        async with gateway(stack, "exchange_down", bootstrap=node.bootstrap, publish_timeout_s=1.0) as (app, client):
            device = await bearer(client, "device")
            await asyncio.to_thread(node.stop)
            accepted: list[str] = []
            for i in range(5):
                key = f"batch-{uuid.uuid4()}"
                fixes = [
                    {
                        "person_id": str(uuid.uuid4()),
                        "device_id": "EM",
                        "lat": 31.9,
                        "lon": 120.3,
                        "accuracy_m": 5,
                        "recorded_at": datetime.now(UTC).isoformat(),
                    }
                    for _ in range(10)
                ]
                r = await client.post(
                    "/v1/locations", json={"fixes": fixes}, headers={**device, "Idempotency-Key": key}
                )
                assert r.status_code in (202, 503), r.text
                if r.status_code == 202:
                    accepted.append(key)
                else:
                    assert r.headers["Retry-After"]
            assert accepted, "the outbox takes batches while the broker is down"
            node.start()
            await node.wait_ready_async()
            from services.exchange.commands import retry_event_id

            expected = {str(retry_event_id("device-demo", k, i)) for k in accepted for i in range(10)}
            for _ in range(300):
                records = await read_topic(node.bootstrap, topics.LOCATIONS, min_count=0, timeout_s=3)
                on_kafka = {orjson.loads(r.value)["id"] for r in records}
                if expected <= on_kafka:
                    break
                await asyncio.sleep(0.5)
            assert expected <= on_kafka
    finally:
        await asyncio.to_thread(node.stop)


async def test_the_identity_vault_opens_only_for_the_command_centre_acting_for_staff(stack):
    """The one door out of the vault (the certificate that names the person): the command centre's
    token with a member of staff inside, never another service's, never without staff."""
    from tests.internal_calls import service_headers

    audience = "exchange_vault"  # the in-process gateway's service name: its tokens' audience
    staff = {"actor": "officer-demo", "role": "justice_officer", "jurisdiction": "澄江街道"}
    async with gateway(stack, audience) as (app, client):
        order = court_order(town="澄江街道")
        r = await client.post("/v1/court-orders", json=order, headers=await bearer(client, "court"))
        assert r.status_code == 202, r.text
        url = f"/internal/v1/identities/{r.json()['person_id']}"
        assert (await client.get(url)).status_code == 401
        posing = await client.get(url, headers=service_headers(audience, staff, issuer="supervision"))
        assert posing.status_code == 401  # only the command centre acts for staff at all
        other = await client.get(url, headers=service_headers(audience, issuer="supervision"))
        assert other.status_code == 401 and "not a trusted service" in other.json()["detail"]  # N5: not a caller
        assert (await client.get(url, headers=service_headers(audience))).status_code == 403  # no one inside
        opened = await client.get(url, headers=service_headers(audience, staff))
        assert opened.status_code == 200
        assert opened.json() == {
            "name": order["person"]["name"],
            "id_number": order["person"]["id_number"],
            "sex": order["person"]["sex"],
        }
        unknown = await client.get(f"/internal/v1/identities/{uuid.uuid4()}", headers=service_headers(audience, staff))
        assert unknown.status_code == 404
        assert "/internal/v1/identities/{person_id}" not in app.openapi()["paths"]


async def test_a_prison_offers_slots_for_its_own_prisoners_and_only_the_countys_police_answer(stack):
    """L2 (docs/security.md): a prison offers video-visit slots only for persons its own
    pre-release notices name; a police client of another organisation can neither read nor answer
    the county's search requests, handovers and exit controls."""
    from datetime import timedelta

    from shared.secrets import hash_secret

    others = [
        {
            "client_id": "nanjing-prison",
            "agency": "prison",
            "organisation": "江苏省南京监狱",
            "secret_hash": hash_secret("nanjing-prison-secret-of-length"),
        },
        {
            "client_id": "other-police",
            "agency": "police",
            "organisation": "无锡市公安局",
            "secret_hash": hash_secret("other-police-secret-of-length"),
        },
    ]

    async def token_of(client: httpx.AsyncClient, client_id: str, secret: str) -> dict[str, str]:
        r = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async with gateway(stack, "exchange_subjects", gateway_clients=orjson.dumps(others).decode()) as (app, client):
        suzhou = await bearer(client, "prison")
        nanjing = await token_of(client, "nanjing-prison", "nanjing-prison-secret-of-length")
        r = await client.post("/v1/release-notices", json=release_notice(), headers=suzhou)
        assert r.status_code == 202, r.text
        prisoner = r.json()["person_id"]
        start = (datetime.now(UTC) + timedelta(days=3)).isoformat()

        def slots(number: str, person: str) -> dict:
            return {"slots": [{"slot_no": number, "prisoner_person_id": person, "start": start, "minutes": 30}]}

        tag = uuid.uuid4().hex[:6]
        assert (
            await client.post("/v1/visit-slots", json=slots(f"S-{tag}", prisoner), headers=suzhou)
        ).status_code == 202
        theirs = await client.post("/v1/visit-slots", json=slots(f"N-{tag}", prisoner), headers=nanjing)
        assert theirs.status_code == 403 and "江苏省南京监狱" in theirs.json()["detail"]
        nobody = await client.post("/v1/visit-slots", json=slots(f"X-{tag}", str(uuid.uuid4())), headers=suzhou)
        assert nobody.status_code == 403 and nobody.json()["detail"].startswith("slots[0].prisoner_person_id")

        county = await bearer(client, "police")
        other = await token_of(client, "other-police", "other-police-secret-of-length")
        assert (await client.get("/v1/police/search-requests", headers=county)).status_code == 200
        request_id = uuid.uuid4()
        result = {"outcome": "found", "note": "在家中找到"}
        for path, body in (
            ("/v1/police/search-requests", None),
            ("/v1/police/handovers", None),
            ("/v1/police/exit-controls", None),
            (f"/v1/police/search-requests/{request_id}/result", result),
            (f"/v1/police/handovers/{request_id}/acknowledge", {}),
            (f"/v1/police/exit-controls/{request_id}/acknowledge", {"action": "imposed"}),
        ):
            answer = await (
                client.get(path, headers=other) if body is None else client.post(path, json=body, headers=other)
            )
            assert answer.status_code == 403, (path, answer.text)
            assert "江阴市公安局" in answer.json()["detail"]
        # the county's own police reach the same answer routes (no such request: 404, not 403)
        assert (
            await client.post(f"/v1/police/search-requests/{request_id}/result", json=result, headers=county)
        ).status_code == 404


async def test_every_trail_read_is_anchored_so_its_entries_cannot_be_cut_off_unseen(stack):
    """L3 (docs/security.md): between hourly checkpoints the newest entries had no anchor, and
    someone with the database could delete them unseen. Each trail read now answers with the
    chain's head signed at that read; cutting an entry it covered off the chain shows."""
    import jwt

    async with gateway(stack, "exchange_read_anchor") as (app, client):
        court = await bearer(client, "court")
        procuratorate = await bearer(client, "procuratorate")
        r = await client.post("/v1/court-orders", json=court_order(), headers=court)
        person = r.json()["person_id"]
        trail = (await client.get("/v1/audit", params={"person_id": person}, headers=procuratorate)).json()
        anchor = trail["anchor"]
        jwk = (await client.get("/.well-known/jwks.json")).json()["keys"][0]
        claims = jwt.decode(anchor["signature"], jwt.PyJWK(jwk).key, algorithms=["ES256"], issuer="sps-exchange")
        assert (claims["seq"], claims["hash"]) == (anchor["seq"], anchor["hash"])
        assert anchor["seq"] >= max(e["seq"] for e in trail["entries"])  # it covers what was shown
        held = (await client.get("/v1/audit/anchor", params=anchor, headers=procuratorate)).json()
        assert held["matches"] is True

        async with app.state.parts.runtime.engine.begin() as conn:  # the newest entries deleted
            await conn.execute(sa.text("ALTER TABLE audit DISABLE TRIGGER audit_append_only"))
            await conn.execute(sa.delete(audit_table).where(audit_table.c.seq >= anchor["seq"]))
            await conn.execute(sa.text("ALTER TABLE audit ENABLE TRIGGER audit_append_only"))
        held = (await client.get("/v1/audit/anchor", params=anchor, headers=procuratorate)).json()
        assert held["matches"] is False
        again = (await client.get("/v1/audit", params={"person_id": person}, headers=procuratorate)).json()
        assert again["chain"]["ok"] is False
        assert again["chain"]["reason"] == "the entry no longer matches its signed checkpoint"
