"""schemathesis against the running gateway's OpenAPI: no 5xx, and every 4xx is problem+json.
Each operation is called with a token carrying its declared scope, so generation reaches past auth.

(schemathesis's pytest loader `from_fixture` trips over pytest 9, so the operations are driven
through its Python API with Hypothesis directly.)"""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings

from services.exchange.domain.clients import AGENCY_SCOPES


def tokens_by_scope(gateway: str) -> dict[str, str]:
    tokens = {}
    for agency, scopes in AGENCY_SCOPES.items():
        r = httpx.post(
            f"{gateway}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": f"{agency}-demo",
                "client_secret": f"{agency}-demo-secret",
            },
        )
        for scope in scopes:
            tokens[scope] = r.json()["access_token"]
    return tokens


def test_no_5xx_and_every_4xx_is_problem_json(platform):
    gateway = platform.url("exchange")
    tokens = tokens_by_scope(gateway)
    schema = schemathesis.openapi.from_url(f"{gateway}/openapi.json")
    seen: dict[str, set[int]] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:
        security = operation.definition.raw.get("security")
        headers = {"Authorization": f"Bearer {tokens[security[0]['agencyClient'][0]]}"} if security else {}
        label = f"{operation.method.upper()} {operation.path}"

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(base_url=gateway, headers=headers)
            seen.setdefault(label, set()).add(response.status_code)
            assert response.status_code < 500, (label, response.status_code, response.text[:300])
            if 400 <= response.status_code < 500:
                content_type = response.headers.get("content-type") or response.headers.get("Content-Type")
                content_type = content_type[0] if isinstance(content_type, list) else content_type
                assert content_type.startswith("application/problem+json"), (label, response.text[:300])
                body = response.json()
                assert body["status"] == response.status_code and body["title"]
                assert "Traceback" not in response.text

        check()
    print("\nstatus codes seen per operation:", {k: sorted(v) for k, v in seen.items()})
    assert any(any(code < 300 for code in codes) for codes in seen.values()), "generation never got past validation"
