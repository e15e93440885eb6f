"""Prison-release handover through real Kafka, PostgreSQL and every service: a key person's notice →
handover to the police, and the receipt to the prison once the office has checked it; an ordinary
person's → the receipt after the check only; a notice the office finds is not its own → back to
the county's unlinked list; a notice for a place outside Jiangyin → the unlinked list with its
reason; the same notice twice → one handover; missed deadlines → alerts; arrival → a resettlement
case and a new assessment."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx

from shared.county import default_county
from tests.e2e.test_thin_slice import alerts_for, gateway_token, staff
from tests.factories import random_id_number
from tests.faults.helpers import db_url, scalar
from tests.internal_calls import service_headers
from tests.waiting import eventually


def notice(town: str = "华士镇", release: date | None = None, **flags) -> dict:
    return {
        "notice_no": f"苏狱释-{uuid.uuid4().hex[:8]}",
        "prison": "江苏省苏州监狱",
        "person": {
            "name": "孙七",
            "id_number": random_id_number(),
            "sex": "M",
            "residence": {"town": town, "address": "某村"},
        },
        "offence": "盗窃罪",
        "offence_category": "property",
        "release_date": (release or date.today() + timedelta(days=20)).isoformat(),
        "sentence_months": 36,
        "reform_performance": "good",
        "prison_risk_rating": "low",
        "destination": {"town": town},
        **flags,
    }


async def test_key_ordinary_unlinked_and_duplicate_notices(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        prison = await gateway_token(client, gw, "prison")
        police = await gateway_token(client, gw, "police")
        duty = await staff(client, cc, "duty-demo")
        key = notice(reform_performance="poor", three_false=True)
        ordinary = notice()
        elsewhere = notice(town="苏州市吴中区")
        ids = {}
        for name, body in (("key", key), ("ordinary", ordinary), ("elsewhere", elsewhere), ("key-again", key)):
            r = await client.post(f"{gw}/v1/release-notices", json=body, headers=prison)
            assert r.status_code == 202, r.text
            ids[name] = r.json()
        assert ids["key"] == ids["key-again"]  # the same notice: the same handover

        async def handover_of(notice_no):
            rows = (await client.get(f"{cc}/api/v1/handovers", headers=duty)).json()
            return next((h for h in rows if h["notice_no"] == notice_no), None)

        # D3: 回执 follows 核查. The notice alone sends the prison nothing; the office's check does.
        misplaced = notice()
        assert (await client.post(f"{gw}/v1/release-notices", json=misplaced, headers=prison)).status_code == 202
        for body in (key, ordinary, misplaced):
            row = await eventually(lambda body=body: handover_of(body["notice_no"]))
            assert row["receipt_at"] is None and row["justice_office"] == "华士镇"
            result = "not_ours" if body is misplaced else "confirmed"
            r = await client.post(
                f"{cc}/api/v1/handovers/{row['handover_id']}/verification",
                headers=duty,
                json={"result": result, "note": "户籍在澄江街道" if body is misplaced else "户籍核对一致"},
            )
            assert r.status_code == 200, r.text
        sent_back = await handover_of(misplaced["notice_no"])
        assert sent_back["justice_office"] is None and sent_back["receipt_at"] is None
        assert "华士镇" in sent_back["unlinked_reason"] and "澄江街道" in sent_back["unlinked_reason"]

        async def receipts():
            items = (await client.get(f"{gw}/v1/receipts", headers=prison)).json()["items"]
            mine = {i["notice_no"]: i for i in items if i["notice_no"] in (key["notice_no"], ordinary["notice_no"])}
            return mine if len(mine) == 2 else None

        receipts_by_no = await eventually(receipts)
        assert {r["status"] for r in receipts_by_no.values()} == {"linked"}
        items = (await client.get(f"{gw}/v1/receipts", headers=prison)).json()["items"]
        assert misplaced["notice_no"] not in {i["notice_no"] for i in items}  # the county's now
        assert receipts_by_no[key["notice_no"]]["justice_office"] == "华士镇"

        handovers = (await client.get(f"{gw}/v1/police/handovers", headers=police)).json()["items"]
        to_police = [h for h in handovers if h["person_id"] in {ids["key"]["person_id"], ids["ordinary"]["person_id"]}]
        assert [h["person_id"] for h in to_police] == [ids["key"]["person_id"]]  # key only, once
        assert set(to_police[0]["reasons"]) == {"three_false", "poor_reform_performance"}
        r = await client.post(
            f"{gw}/v1/police/handovers/{to_police[0]['handover_id']}/acknowledge",
            headers=police,
            json={"officer": "澄江派出所 张警官"},
        )
        assert r.status_code == 202, r.text

        async def acknowledged():
            rows = (await client.get(f"{cc}/api/v1/handovers", headers=duty)).json()
            row = next(h for h in rows if h["notice_no"] == key["notice_no"])
            return row if row["police_ack_at"] else None

        assert (await eventually(acknowledged))["police_ack_by"] == "江阴市公安局"

        board = (await client.get(f"{cc}/api/v1/handovers", headers=duty, params={"view": "unlinked"})).json()
        unlinked = [h for h in board if h["notice_no"] == elsewhere["notice_no"]]
        assert len(unlinked) == 1 and "吴中区" in unlinked[0]["unlinked_reason"] and unlinked[0]["receipt_at"] is None
        detail = next(
            h
            for h in (await client.get(f"{cc}/api/v1/handovers", headers=duty)).json()
            if h["notice_no"] == key["notice_no"]
        )
        # The resend was answered at the gateway from the notice number: nothing reached handover twice.
        assert detail["duplicates"] == 0 and detail["key_person"]
        assert {l["en"] for l in detail["key_reason_labels"]} == {
            "False name, address or identity",
            "Poor reform performance",
        }

        officer = await staff(client, cc, "officer-demo")  # 澄江街道: neither the county nor 华士镇
        r = await client.post(f"{cc}/api/v1/handovers/{unlinked[0]['handover_id']}/resolve", headers=officer, json={})
        assert r.status_code == 403
        # handover checks again, so a faulty caller of its internal API cannot act for the county either
        r = await client.post(
            f"{platform.url('handover')}/internal/v1/handovers/{unlinked[0]['handover_id']}/resolve",
            headers=service_headers(
                "handover",
                {"actor": "officer-demo", "role": "justice_officer", "jurisdiction": "澄江街道"},
                stack=platform,
            ),
            json={},
        )
        assert r.status_code == 403 and "county" in r.json()["detail"]
        # M6: who acts is the signed token's, never the body's; no token, or one made for another
        # service, is not let in at all.
        internal = f"{platform.url('handover')}/internal/v1/handovers/{unlinked[0]['handover_id']}/resolve"
        claim_county = {"actor": "duty-demo", "role": "duty_officer", "jurisdiction": "county"}
        officer_token = service_headers(
            "handover", {"actor": "officer-demo", "role": "justice_officer", "jurisdiction": "澄江街道"}, stack=platform
        )
        r = await client.post(internal, headers=officer_token, json=claim_county)
        assert r.status_code == 403
        assert (await client.post(internal, json=claim_county)).status_code == 401
        r = await client.post(internal, headers=service_headers("supervision", claim_county, stack=platform), json={})
        assert r.status_code == 401 and "not made for handover" in r.json()["detail"]
        # N5: handover trusts only the command centre's key, and only the one made for this install:
        # not the exchange's, and not the command centre's key derived from its public name.
        exchange = service_headers("handover", claim_county, issuer="exchange", stack=platform)
        r = await client.post(internal, headers=exchange, json={})
        assert r.status_code == 401 and "not a trusted service" in r.json()["detail"]
        r = await client.post(internal, headers=service_headers("handover", claim_county), json={})
        assert r.status_code == 401 and "signature" in r.json()["detail"]
        # L4: a body that is not said to be JSON (as a foreign page's form would post it) is refused.
        resolve = f"{cc}/api/v1/handovers/{unlinked[0]['handover_id']}/resolve"
        r = await client.post(resolve, headers={**duty, "Content-Type": "text/plain"}, content=b"{}")
        assert r.status_code == 415 and r.headers["content-type"].startswith("application/problem+json")
        r = await client.post(resolve, headers=duty, json={})
        assert r.status_code == 200 and r.json()["receipt_at"]

        async def unlinked_receipt():
            items = (await client.get(f"{gw}/v1/receipts", headers=prison)).json()["items"]
            return [i for i in items if i["notice_no"] == elsewhere["notice_no"]]

        (receipt,) = await eventually(unlinked_receipt)
        assert receipt["status"] == "unlinked" and "吴中区" in receipt["reason"]


async def test_missed_deadlines_raise_alerts_and_arrival_opens_a_case(platform):
    gw, cc = platform.url("exchange"), platform.url("command_centre")
    async with httpx.AsyncClient(timeout=10) as client:
        prison = await gateway_token(client, gw, "prison")
        duty = await staff(client, cc, "duty-demo")
        soon = notice(release=date.today() + timedelta(days=3), prison_risk_rating="high")  # plan due 4 days ago
        gone = notice(release=date.today() - timedelta(days=10), deprived_political_rights=True)  # arrival overdue
        planned = notice(release=date.today() + timedelta(days=20), serious_illness=True)  # plan due in 13 days
        ids = {}
        for name, body in (("soon", soon), ("gone", gone), ("planned", planned)):
            ids[name] = (await client.post(f"{gw}/v1/release-notices", json=body, headers=prison)).json()

        async def handover_of(notice_no):
            rows = (await client.get(f"{cc}/api/v1/handovers", headers=duty)).json()
            return next((h for h in rows if h["notice_no"] == notice_no), None)

        plan_this = await eventually(lambda: handover_of(planned["notice_no"]))

        # 延伸帮教 (#23): the prison that sent notices is on the schedule; a visit records whom it saw.
        # The office's receipt flagged the notice 20 days before release as late (前置化: a month).
        schedule = (await client.get(f"{cc}/api/v1/prison-visits", headers=duty)).json()
        suzhou = next(p for p in schedule["schedule"] if p["prison"] == "江苏省苏州监狱")
        assert suzhou["awaiting_release"] >= 2
        officer = await staff(client, cc, "officer-demo")
        today = datetime.now(UTC).date().isoformat()
        seen = {
            "prison": "江苏省苏州监狱",
            "visited_on": today,
            "notices_seen": [planned["notice_no"]],
            "note": "入监教育",
        }
        r = await client.post(f"{cc}/api/v1/prison-visits", json=seen, headers=officer)
        assert r.status_code == 201 and r.json()["persons_seen"][0]["handover_id"] == plan_this["handover_id"], r.text
        stranger = {**seen, "notices_seen": ["无此编号"]}
        assert (await client.post(f"{cc}/api/v1/prison-visits", json=stranger, headers=officer)).status_code == 409
        assert (await client.post(f"{cc}/api/v1/prison-visits", json=seen, headers=duty)).status_code == 403
        schedule = (await client.get(f"{cc}/api/v1/prison-visits", headers=duty)).json()
        suzhou = next(p for p in schedule["schedule"] if p["prison"] == "江苏省苏州监狱")
        assert suzhou["last_visit"] == today and suzhou["overdue"] is False
        check = {"result": "confirmed", "note": "户籍核对一致"}  # the receipt follows the office's check
        verify = f"{cc}/api/v1/handovers/{plan_this['handover_id']}/verification"
        r = await client.post(verify, headers=duty, json=check)
        assert r.status_code == 200, r.text

        async def receipt_of_planned():
            items = (await client.get(f"{gw}/v1/receipts", headers=prison)).json()["items"]
            return next((i for i in items if i["notice_no"] == planned["notice_no"]), None)

        late = await eventually(receipt_of_planned)
        assert late["late_notice"] is True and late["notice_days"] <= 20
        r = await client.post(
            f"{cc}/api/v1/handovers/{plan_this['handover_id']}/pickup-plan",
            headers=duty,
            json={
                "who": "华士镇司法所 李",
                "when": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
                "escort": "社区民警 王",
            },
        )
        assert r.status_code == 200 and r.json()["pickup_plan"]["escort"] == "社区民警 王"

        soon_alerts = await alerts_for(platform.bootstrap, ids["soon"]["person_id"], min_count=1)
        raised = [e["data"] for e in soon_alerts if e["type"] == "sps.alert.raised"]
        assert [(a["rule_id"], a["colour"]) for a in raised] == [("pickup_unplanned", "orange")]
        # observable only once the late notice arrived: its deadlines run from then, not 4 days back
        assert datetime.fromisoformat(raised[0]["raised_at"]) > datetime.now(UTC) - timedelta(minutes=5)
        gone_alerts = await alerts_for(platform.bootstrap, ids["gone"]["person_id"], min_count=2)
        assert {(e["data"]["rule_id"], e["data"]["colour"]) for e in gone_alerts} >= {
            ("release_intake_missed", "red"),
            ("pickup_unplanned", "orange"),
        }
        # The planned one's pick-up plan was due in 13 days, and was made: its deadline can no longer
        # fire (cancelled by the plan, or still ahead and unfired), and it never did (handover's
        # outbox, written with any firing, holds no pick-up signal for the person).
        handover_db = db_url(platform, "handover")
        key = f"pickup:{plan_this['handover_id']}"
        timer = await scalar(handover_db, "select due_at, fired_at from timers where key = :key", key=key, row=True)
        assert timer is None or (timer.fired_at is None and timer.due_at > datetime.now(UTC) + timedelta(days=12))

        async def pickup_signals(person: str) -> int:
            sql = "select count(*) from outbox where key = :person and position(cast(:kind as bytea) in value) > 0"
            return await scalar(handover_db, sql, person=person, kind=b"sps.handover.pickup-unplanned")

        assert await pickup_signals(ids["soon"]["person_id"]) == 1  # where it fired, the outbox has it
        assert await pickup_signals(ids["planned"]["person_id"]) == 0
        planned_alerts = await alerts_for(platform.bootstrap, ids["planned"]["person_id"], min_count=0)
        assert "pickup_unplanned" not in {e["data"]["rule_id"] for e in planned_alerts}

        gone_handover = await handover_of(gone["notice_no"])
        r = await client.post(
            f"{cc}/api/v1/handovers/{gone_handover['handover_id']}/arrival",
            headers=duty,
            json={"at": datetime.now(UTC).isoformat()},
        )
        assert r.status_code == 200 and r.json()["arrived_at"]
        r = await client.post(
            f"{cc}/api/v1/handovers/{gone_handover['handover_id']}/arrival",
            headers=duty,
            json={"at": datetime.now(UTC).isoformat()},
        )
        assert r.status_code == 409

        # D11: a later judgment the office learns of, a prison sentence too, is a re-offence: kept
        # once per judgment (the same again is the same record; other content under its number, 409).
        judgment = {
            "court": "江阴市人民法院",
            "judgment_no": f"(2026)苏0281刑初{uuid.uuid4().hex[:4]}号",
            "sentenced_on": date.today().isoformat(),
            "sentence": "imprisonment",
        }
        url = f"{cc}/api/v1/handovers/{gone_handover['handover_id']}/reoffence"
        for _ in range(2):
            r = await client.post(url, headers=duty, json=judgment)
            assert r.status_code == 201 and r.json()["recorded_by"] == "duty-demo", r.text
        r = await client.post(url, headers=duty, json={**judgment, "sentence": "criminal_detention"})
        assert r.status_code == 409 and "other content" in r.json()["detail"]

        person = ids["gone"]["person_id"]

        async def case():
            r = await client.get(f"{cc}/api/v1/persons/{person}", headers=duty)
            return r.json() if r.status_code == 200 else None

        page = await eventually(case)
        (opened,) = page["cases"]
        assert opened["kind"] == "resettlement" and opened["status"] == "under_supervision"
        assert opened["jurisdiction"] == "华士镇"

        async def arrival_assessment():
            r = await client.get(f"{cc}/api/v1/persons/{person}/risk", headers=duty)
            if r.status_code != 200:
                return None
            triggers = [a["trigger"] for a in r.json()["history_by_version"]["2026.1"]]
            return triggers if "arrival" in triggers else None

        assert (await eventually(arrival_assessment))[0] == "release"

        # 信息补录 (#23): what the office learned after arrival reaches risk's explanation.
        def explained(risk: dict) -> dict:
            return {i["item"]: i["value"] for i in risk["latest"]["items"]}

        before = (await client.get(f"{cc}/api/v1/persons/{person}/risk", headers=duty)).json()
        assert explained(before)["employment"] == "unknown"
        learned = {"employment": "employed", "family_support": "none", "housing": "temporary"}
        url = f"{cc}/api/v1/handovers/{gone_handover['handover_id']}/supplement"
        nothing = await client.post(url, headers=duty, json={})
        assert nothing.status_code == 422 and "at least one" in nothing.text
        r = await client.post(url, headers=duty, json=learned)
        assert r.status_code == 200 and r.json() == learned, r.text

        async def supplemented():
            risk = (await client.get(f"{cc}/api/v1/persons/{person}/risk", headers=duty)).json()
            return risk if risk["latest"]["trigger"] == "supplement" else None

        after = await eventually(supplemented)

        assert explained(after)["employment"] == "employed" and explained(after)["family_support"] == "none"
        assert after["latest"]["total"] != before["latest"]["total"]

        r = await client.post(
            f"{cc}/api/v1/handovers/{gone_handover['handover_id']}/assistance",
            headers=duty,
            json={"kind": "minimum_living"},
        )
        assert r.status_code == 201 and r.json()["kind"] == "minimum_living"
        civil = await gateway_token(client, gw, "civil-affairs")

        async def requests_seen():
            items = (await client.get(f"{gw}/v1/assistance-requests", headers=civil)).json()["items"]
            return [i for i in items if i["person_id"] == person]

        (request,) = await eventually(requests_seen)
        assert request["justice_office"] == "华士镇" and request["status"] == "requested"
        # Civil affairs' decision comes back once (#21, contract §6.2), onto the person's handover.
        url = f"{gw}/v1/assistance-requests/{request['request_id']}/outcome"
        decision = {
            "outcome": "granted",
            "programme": "最低生活保障",
            "decided_at": datetime.now(UTC).isoformat(),
            "note": "自下月起纳入低保",
        }
        police_client = await gateway_token(client, gw, "police")
        assert (await client.post(url, json=decision, headers=police_client)).status_code == 403
        first = await client.post(url, json=decision, headers=civil)
        assert first.status_code == 202, first.text
        again = await client.post(url, json=decision, headers=civil)
        assert again.status_code == 202 and again.json() == first.json()
        other = await client.post(url, json={**decision, "outcome": "refused"}, headers=civil)
        assert other.status_code == 409 and other.headers["content-type"].startswith("application/problem+json")
        unknown = f"{gw}/v1/assistance-requests/{uuid.uuid4()}/outcome"
        assert (await client.post(unknown, json=decision, headers=civil)).status_code == 404

        async def decided() -> dict | None:
            rows = (await client.get(f"{cc}/api/v1/persons/{person}/handovers", headers=duty)).json()
            entries = [a for h in rows for a in h.get("assistance") or [] if a["request_id"] == request["request_id"]]
            return entries[0] if entries and entries[0]["status"] == "granted" else None

        entry = await eventually(decided)
        timeline = (await client.get(f"{cc}/api/v1/persons/{person}/timeline", headers=duty)).json()
        assert "sps.ingest.assistance-outcome" in [t["event_type"] for t in timeline]  # on the person's file
        assert entry["outcome"]["programme"] == "最低生活保障" and entry["outcome"]["civil_affairs"] == "江阴市民政局"
        now_month = default_county().month_of(datetime.now(UTC))
        report = (
            await client.get(f"{cc}/api/v1/handover-indicators", headers=duty, params={"month": now_month})
        ).json()
        assert next(o for o in report["offices"] if o["office"] == "华士镇")["assistance_rate"] > 0  # 救助帮扶率

        # The indicators count by the month of release, everyone due, and only what people did:
        # a verification a member of staff recorded, an acknowledgement the police sent.
        release_month = gone["release_date"][:7]

        async def huashi() -> dict:
            params = {"month": release_month}
            report = (await client.get(f"{cc}/api/v1/handover-indicators", headers=duty, params=params)).json()
            assert report["targets"]["ordinary_pickup_rate"] == 0.7
            return next(o for o in report["offices"] if o["office"] == "华士镇")

        def done(office: dict, rate: str, of: str) -> int:
            return round((office[rate] or 0) * office[of])

        before = await huashi()
        assert before["releases"] >= 1 and before["release_intake_missed"] >= 1  # gone arrived after the window
        hid = gone_handover["handover_id"]
        r = await client.post(
            f"{cc}/api/v1/handovers/{hid}/verification",
            headers=duty,
            json={"result": "confirmed", "note": "户籍核对一致"},
        )
        assert r.status_code == 200, r.text
        r = await client.post(
            f"{cc}/api/v1/handovers/{hid}/services",
            headers=duty,
            json={"kind": "placed_employment", "on": gone["release_date"]},
        )
        assert r.status_code == 201, r.text
        police = await gateway_token(client, gw, "police")
        r = await client.post(f"{gw}/v1/police/handovers/{hid}/acknowledge", headers=police, json={"officer": "王"})
        assert r.status_code in (200, 202), r.text

        police_before = done(before, "police_control_rate", "key_releases")

        async def counted():
            after = await huashi()
            return after if done(after, "police_control_rate", "key_releases") > police_before else None

        after = await eventually(counted)  # the police's acknowledgement, through the gateway and Kafka
        assert after["releases"] == before["releases"]
        assert done(after, "verification_rate", "releases") == done(before, "verification_rate", "releases") + 1
        assert (
            done(after, "placement_rate", "released_this_year")
            == done(before, "placement_rate", "released_this_year") + 1
        )

        # 安置基地 (#23), once the placement above is counted: a base with one place; the placement
        # names it, and a second finds none left.
        head = await staff(client, cc, "head-demo")
        base = {"office": "华士镇", "name": f"华士安置基地-{uuid.uuid4().hex[:4]}", "kind": "enterprise", "places": 1}
        r = await client.post(f"{cc}/api/v1/bases", json=base, headers=head)
        assert r.status_code == 201, r.text
        base_id = r.json()["base_id"]
        placement = {"kind": "placed_base", "on": datetime.now(UTC).date().isoformat(), "base_id": base_id}
        url = f"{cc}/api/v1/handovers/{gone_handover['handover_id']}/services"
        assert (await client.post(url, json=placement, headers=head)).status_code == 201
        assert (await client.post(url, json=placement, headers=head)).status_code == 409  # no place left
        listed = next(
            b for b in (await client.get(f"{cc}/api/v1/bases", headers=head)).json() if b["base_id"] == base_id
        )
        assert (listed["taken"], listed["places"]) == (1, 1)
