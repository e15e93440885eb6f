"""Agency clients and their scopes (least privilege: each agency only its own)."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from shared.secrets import hash_secret

AGENCY_SCOPES: dict[str, frozenset[str]] = {
    "court": frozenset({"court:write", "court:read"}),
    "prison": frozenset({"prison:write", "prison:read"}),
    "rehab": frozenset({"rehab:write"}),
    "device": frozenset({"device:write"}),
    "police": frozenset({"police:read", "police:write"}),
    "procuratorate": frozenset({"procuratorate:read", "procuratorate:write"}),
    "civil-affairs": frozenset({"civil-affairs:read", "civil-affairs:write"}),
    "app": frozenset({"app:write"}),
}


@dataclass(frozen=True)
class Client:
    client_id: str
    agency: str
    secret_hash: str  # "scrypt$<salt b64>$<hash b64>"; the secret itself is never kept
    scopes: frozenset[str]
    organisation: str  # e.g. the prison: a prison sees only its own receipts


DEMO_ORGANISATIONS = {
    "court": "江阴市人民法院",
    "prison": "江苏省苏州监狱",
    "rehab": "无锡市强制隔离戒毒所",
    "device": "定位设备服务商",
    "police": "江阴市公安局",
    "procuratorate": "江阴市人民检察院",
    "civil-affairs": "江阴市民政局",
    "app": "在矫通",
}


def demo_clients() -> dict[str, Client]:
    """The contract's demo clients: `<agency>-demo` / `<agency>-demo-secret`, demo mode only."""
    return {
        f"{agency}-demo": Client(
            f"{agency}-demo", agency, hash_secret(f"{agency}-demo-secret"), scopes, DEMO_ORGANISATIONS[agency]
        )
        for agency, scopes in AGENCY_SCOPES.items()
    }


def clients_from_json(raw: str) -> dict[str, Client]:
    """`SPS_GATEWAY_CLIENTS`: [{"client_id", "agency", "organisation", "secret_hash"}], secrets hashed
    with shared.secrets.hash_secret."""
    out = {}
    for item in orjson.loads(raw):
        agency = item["agency"]
        if agency not in AGENCY_SCOPES:
            raise ValueError(f"client {item.get('client_id')}: unknown agency {agency!r}")
        out[item["client_id"]] = Client(
            item["client_id"], agency, item["secret_hash"], AGENCY_SCOPES[agency], item.get("organisation", agency)
        )
    return out
