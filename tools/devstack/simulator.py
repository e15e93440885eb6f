"""`make demo`: a few hundred supervised persons in Jiangyin, through the gateway like real agencies.

They move around near their justice office, report in person, and now and then leave the county,
cut a strap or enter a victim's exclusion zone; prisons send pre-release notices. The command
centre shows the alerts live. Deterministic per seed: running it again reuses the same persons.

    python -m tools.devstack.simulator [--persons 300] [--interval 5] [--duration 0]
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
import typer
from rich.console import Console

from services.exchange.main import ExchangeSettings
from shared.geography import load_geography
from shared.identity import check_digit, derive_person_id
from shared.paths import POLICY_DIR

console = Console()
OUTSIDE = [(121.47, 31.23), (120.62, 31.30), (119.95, 31.78), (120.30, 32.05)]  # Shanghai, Suzhou, …


@dataclass
class Person:
    index: int
    id_number: str
    town: str
    home: tuple[float, float]
    person_id: str | None = None
    trip_left: int = 0
    strap_cut: bool = False
    reported: bool = False
    position: tuple[float, float] = field(default=(0.0, 0.0))


SERVICES = ("placed_employment", "job_referral", "placed_family", "skills_training")  # placements and job help


def id_number(rng: random.Random) -> str:
    body = f"320281{rng.randint(1960, 2003)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + check_digit(body)


def people(n: int, seed: int) -> list[Person]:
    rng = random.Random(seed)
    offices = load_geography(POLICY_DIR).offices
    towns = sorted(offices)
    out = []
    for i in range(n):
        town = towns[i % len(towns)]
        lon, lat = offices[town]
        home = (lon + rng.uniform(-0.015, 0.015), lat + rng.uniform(-0.012, 0.012))
        out.append(Person(i, id_number(rng), town, home, position=home))
    return out


class Demo:
    def __init__(self, gateway: str, persons: int, seed: int, console_url: str = "http://127.0.0.1:8000") -> None:
        self.gateway = gateway
        self.console_url = console_url
        self.rng = random.Random(seed + 1)
        self.persons = people(persons, seed)
        self.client = httpx.AsyncClient(base_url=gateway, timeout=30)
        self.tokens: dict[str, dict[str, str]] = {}
        self.stats = {"fixes": 0, "trips": 0, "straps": 0, "notices": 0}
        self.prisoner = ""  # a person the demo prison's own notice names (resettlement sets it)

    async def token(self, agency: str) -> dict[str, str]:
        r = await self.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": f"{agency}-demo",
                "client_secret": f"{agency}-demo-secret",
            },
        )
        r.raise_for_status()
        self.tokens[agency] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self.tokens[agency]

    async def post(self, agency: str, path: str, body: dict) -> httpx.Response:
        for _ in range(5):
            r = await self.client.post(path, json=body, headers=self.tokens.get(agency) or await self.token(agency))
            if r.status_code == 401:
                await self.token(agency)  # expired: a new one
                continue
            if r.status_code in (429, 503):
                await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            return r
        return r

    async def enrol(self) -> None:
        for p in self.persons:
            order = {
                "order_no": f"(2026)苏0281刑初D{p.index:04d}号",
                "court": "江阴市人民法院",
                "person": {
                    "name": "演示人员",
                    "id_number": p.id_number,
                    "sex": "F" if p.index % 5 == 0 else "M",
                    "residence": {"town": p.town, "address": "演示地址"},
                },
                "sentence_kind": self.rng.choice(["probation", "probation", "parole", "control"]),
                "offence": "演示罪名",
                "offence_category": self.rng.choice(
                    ["property", "property", "property", "violent", "drug", "duty", "other"]
                    if p.index % 60
                    else ["national_security"]
                ),
                "term_start": date.today().isoformat(),
                "term_end": (date.today() + timedelta(days=365)).isoformat(),
                "electronic_monitoring": True,
            }
            if p.index % 25 == 0:  # some have a victim's home as an exclusion zone, near their own
                lon, lat = p.home
                d = 0.004
                order["exclusion_zones"] = [
                    {
                        "name": "受害人住所",
                        "polygon": {
                            "type": "Polygon",
                            "coordinates": [
                                [
                                    [lon + d, lat],
                                    [lon + 3 * d, lat],
                                    [lon + 3 * d, lat + 2 * d],
                                    [lon + d, lat + 2 * d],
                                    [lon + d, lat],
                                ]
                            ],
                        },
                    }
                ]
            r = await self.post("court", "/v1/court-orders", order)
            if r.status_code == 202:
                p.person_id = r.json().get("person_id")
            elif r.status_code == 409:  # enrolled by an earlier demo run (its order had other dates)
                p.person_id = str(derive_person_id(p.id_number, ExchangeSettings(demo_mode=True).person_id_secret()))
            else:
                p.person_id = None
        console.print(f"[green]✓[/] {sum(1 for p in self.persons if p.person_id)} persons enrolled")
        await asyncio.sleep(2.0)
        checkins = [
            {"person_id": p.person_id, "channel": "app", "recorded_at": datetime.now(UTC).isoformat()}
            for p in self.persons
            if p.person_id and p.index % 10
        ]  # one in ten never reports (漏管 later): no sign of life, and no 报到 below
        await self.post("device", "/v1/checkins", {"checkins": checkins})
        await self.staff_steps()

    async def staff_steps(self) -> None:
        """The office records each person's 报到 (but one in ten's), and the bureau head approves
        electronic positioning (电子定位) for one person in eight."""
        async with httpx.AsyncClient(base_url=self.console_url, timeout=30) as staff:
            r = await staff.post("/api/v1/auth/login", json={"username": "head-demo", "password": "head-demo-secret"})
            if r.status_code != 200:
                console.print(f"[yellow]![/] staff login failed ({r.status_code}): no 报到 or positioning records")
                return
            head = {"Authorization": f"Bearer {r.json()['access_token']}"}
            reported = 0
            for p in self.persons:
                if not p.person_id or not p.index % 10:
                    continue
                body = {"reported_at": datetime.now(UTC).isoformat(), "note": "本人到司法所报到（演示）"}
                for _ in range(20):  # the case opens a moment after its order is accepted
                    r = await staff.post(f"/api/v1/persons/{p.person_id}/intake", headers=head, json=body)
                    if r.status_code != 404:
                        break
                    await asyncio.sleep(0.5)
                reported += r.status_code in (200, 201)
            console.print(f"[green]✓[/] {reported} reports (报到) recorded by the offices")
            started = 0
            for p in self.persons:
                if p.person_id and p.index % 8 == 0:
                    r = await staff.post(
                        f"/api/v1/persons/{p.person_id}/positioning",
                        headers=head,
                        json={
                            "ground": self.rng.choice(["left_county_without_leave", "prohibition_order_breach"]),
                            "device_id": f"EM-{p.index:04d}",
                        },
                    )
                    started += r.status_code == 201
            console.print(f"[green]✓[/] electronic positioning approved for {started} persons")
            await self.helpers(staff, head)

    async def helpers(self, staff: httpx.AsyncClient, head: dict[str, str]) -> None:
        """协矫通 and 社会力量: the volunteer `team-demo` on the teams of (up to) three persons of 澄江街道, and
        a social worker and a volunteer on that office's registry."""
        named = 0
        for p in [p for p in self.persons if p.person_id and p.town == "澄江街道"][:3]:
            team = {
                "members": [
                    {"name": "司法所王所长", "role": "justice_office", "sex": "F"},
                    {"name": "李志愿", "role": "volunteer", "sex": "F", "account": "team-demo"},
                ]
            }
            r = await staff.put(f"/api/v1/persons/{p.person_id}/team", headers=head, json=team)
            named += r.status_code == 200
        for kind, name, account in (("social_worker", "陈社工", None), ("volunteer", "李志愿", "team-demo")):
            helper = {"kind": kind, "name": name, "office": "澄江街道", **({"account": account} if account else {})}
            await staff.post("/api/v1/social-forces", headers=head, json=helper)
        console.print(f"[green]✓[/] 协矫通: team-demo on {named} correction teams; 2 helpers on the registry")
        await self.resettlement(staff, head)

    async def resettlement(self, staff: httpx.AsyncClient, head: dict[str, str], released: int = 8) -> None:
        """安置帮教 for the statistics: persons released to 澄江街道 earlier this year, registered,
        placed or served, some with an agreement, information supplemented; a prison visit; and a
        family video-visit slot the office books."""
        tag = f"演示安置-{int(time.time())}"
        today = date.today()
        for i in range(released):
            body = {
                "notice_no": f"{tag}-{i}",
                "prison": "江苏省苏州监狱",
                "person": {
                    "name": "演示安置人员",
                    "id_number": id_number(self.rng),
                    "sex": "M",
                    "residence": {"town": "澄江街道"},
                },
                "offence": "演示罪名",
                "offence_category": "property",
                "release_date": (today - timedelta(days=10 + 3 * i)).isoformat(),
                "sentence_months": 24,
                "reform_performance": "good",
                "prison_risk_rating": "low",
                "destination": {"town": "澄江街道"},
            }
            r = await self.post("prison", "/v1/release-notices", body)
            if r.status_code == 202:
                self.prisoner = r.json()["person_id"]  # a prison offers video visits with its own prisoners
        rows: list[dict] = []
        for _ in range(60):  # the notices reach handover through Kafka
            r = await staff.get("/api/v1/handovers", headers=head, params={"notice_prefix": tag, "days": 400})
            rows = r.json() if r.status_code == 200 else []
            if len(rows) >= released:
                break
            await asyncio.sleep(0.5)
        steps = 0
        for i, h in enumerate(rows):
            url = f"/api/v1/handovers/{h['handover_id']}"
            at = datetime.combine(date.fromisoformat(h["release_date"]), datetime.min.time(), UTC) + timedelta(hours=10)
            plan = [
                ("verification", {"result": "confirmed", "note": "户籍核对一致"}),  # which sends the receipt
                ("release", {"at": at.isoformat()}),
                ("arrival", {"at": (at + timedelta(days=1)).isoformat()}),
                (
                    "services",
                    {
                        "kind": ["placed_employment", "job_referral", "placed_family", "skills_training"][i % 4],
                        "on": today.isoformat(),
                    },
                ),
                ("supplement", {"employment": "employed" if i % 2 else "unemployed", "family_support": "strong"}),
            ]
            if i % 2 == 0:
                plan.append(
                    (
                        "agreement",
                        {"terms": ["按时报到", "积极就业"], "signed_on": today.isoformat(), "helpers": ["家属"]},
                    )
                )
            for step, body in plan:
                r = await staff.post(f"{url}/{step}", headers=head, json=body)
                steps += r.status_code in (200, 201)
        visit = {
            "prison": "江苏省苏州监狱",
            "visited_on": today.isoformat(),
            "notices_seen": [f"{tag}-0"],
            "note": "入监帮教",
        }
        await staff.post("/api/v1/prison-visits", headers=head, json=visit)
        booked = await self.video_visit(staff, head, tag)
        console.print(
            f"[green]✓[/] 安置帮教: {len(rows)} released persons, {steps} steps, video visit booked: {booked}"
        )

    async def video_visit(self, staff: httpx.AsyncClient, head: dict[str, str], tag: str) -> bool:
        """A prison offers a family video-visit slot five days on (9:00 in the county); 澄江街道 books it."""
        start = datetime.combine(date.today() + timedelta(days=5), datetime.min.time(), UTC) + timedelta(hours=1)
        slot = {"slot_no": f"{tag}-V", "prisoner_person_id": self.prisoner, "start": start.isoformat(), "minutes": 30}
        r = await self.post("prison", "/v1/visit-slots", {"slots": [slot]})
        slot_id = r.json()["slots"][0]["slot_id"]
        family = {"name": "演示家属", "id_number": id_number(self.rng), "relationship": "parent"}
        for _ in range(60):  # the slot reaches handover through Kafka
            r = await staff.post(
                f"/api/v1/visit-slots/{slot_id}/book", headers=head, json={"office": "澄江街道", "family": family}
            )
            if r.status_code != 404:
                return r.status_code == 201
            await asyncio.sleep(0.5)
        return False

    def move(self, p: Person) -> dict:
        if p.trip_left > 0:
            p.trip_left -= 1
            if p.trip_left == 0:
                p.position = p.home
        elif self.rng.random() < 0.0008:  # now and then a trip out of the county
            p.trip_left = self.rng.randint(3, 12)
            p.position = self.rng.choice(OUTSIDE)
            self.stats["trips"] += 1
        elif p.index % 25 == 0 and self.rng.random() < 0.01:
            lon, lat = p.home
            p.position = (lon + 0.008, lat + 0.004)  # inside the exclusion zone
        else:
            angle, dist = self.rng.uniform(0, 2 * math.pi), self.rng.uniform(0, 0.004)
            p.position = (p.home[0] + dist * math.cos(angle), p.home[1] + dist * math.sin(angle))
        if not p.strap_cut and self.rng.random() < 0.0005:
            p.strap_cut = True
            self.stats["straps"] += 1
        lon, lat = p.position
        return {
            "person_id": p.person_id,
            "device_id": f"EM-{p.index:04d}",
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "accuracy_m": self.rng.choice([8, 10, 12, 15, 30]),
            "recorded_at": datetime.now(UTC).isoformat(),
            "battery_pct": self.rng.randint(20, 100),
            "strap_intact": not p.strap_cut,
        }

    async def notice(self) -> None:
        n = self.stats["notices"]
        town = self.rng.choice(sorted(load_geography(POLICY_DIR).offices) + ["苏州市吴中区"])
        key = self.rng.random() < 0.3
        body = {
            "notice_no": f"苏狱释-演示-{int(time.time())}-{n}",
            "prison": "江苏省苏州监狱",
            "person": {
                "name": "演示刑释人员",
                "id_number": id_number(self.rng),
                "sex": "M",
                "residence": {"town": town},
            },
            "offence": "演示罪名",
            "offence_category": "violent" if key else "property",
            "release_date": (date.today() + timedelta(days=self.rng.randint(2, 40))).isoformat(),
            "sentence_months": self.rng.randint(6, 120),
            "reform_performance": "poor" if key else "good",
            "prison_risk_rating": "high" if key else "low",
            "destination": {"town": town},
        }
        await self.post("prison", "/v1/release-notices", body)
        self.stats["notices"] += 1

    async def run(self, interval: float, duration: float) -> None:
        await self.enrol()
        started = time.monotonic()
        tick = 0
        while duration <= 0 or time.monotonic() - started < duration:
            fixes = [self.move(p) for p in self.persons if p.person_id]
            for i in range(0, len(fixes), 1000):
                await self.post("device", "/v1/locations", {"fixes": fixes[i : i + 1000]})
            self.stats["fixes"] += len(fixes)
            if tick % max(1, int(30 / interval)) == 0:
                await self.notice()
            tick += 1
            console.print(f"tick {tick}: {self.stats}", end="\r")
            await asyncio.sleep(interval)
        console.print(f"\n[green]✓[/] demo finished: {self.stats}")


def main(
    persons: int = typer.Option(300, help="how many supervised persons"),
    interval: float = typer.Option(5.0, help="seconds between fixes"),
    duration: float = typer.Option(0, help="stop after this many seconds (0: run until Ctrl-C)"),
    gateway: str = typer.Option("http://127.0.0.1:8080"),
    console_url: str = typer.Option("http://127.0.0.1:8000", "--console", help="the command centre"),
    seed: int = typer.Option(2018),
) -> None:
    try:
        asyncio.run(Demo(gateway, persons, seed, console_url).run(interval, duration))
    except KeyboardInterrupt:
        console.print("\nsimulator stopped; the platform keeps running (`make down` stops it)")


if __name__ == "__main__":
    typer.run(main)
