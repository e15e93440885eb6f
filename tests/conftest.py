"""Test-wide fixtures. Unit tests need nothing; integration and e2e tests get a real Kafka
(KRaft) and a real PostgreSQL of their own, started once per session on ports apart from a
developer's `make up` (Kafka 19092, PostgreSQL 25432, services +10000)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from shared.paths import LOCAL_DIR

TEST_ROOT = Path(os.environ.get("SPS_TEST_DIR", LOCAL_DIR / "test"))
KAFKA_PORT = 19092
PG_PORT = 25432  # below the ephemeral port range (32768+), where client sockets could hold it
PORT_OFFSET = 10000
TRACES = TEST_ROOT / "traces"


def pytest_collection_modifyitems(config, items):
    # The fault suite floods the shared topics; in-process services of the integration tests read
    # those topics from the start, so the faults run after them (and before tests/zz_final).
    items.sort(
        key=lambda item: (
            "/faults/" in str(item.path) or "/zz_final/" in str(item.path),
            "/zz_final/" in str(item.path),
        )
    )
    for item in items:
        path = str(item.path)
        if "/integration/" in path:
            item.add_marker(pytest.mark.integration)
        if "/e2e/" in path:
            item.add_marker(pytest.mark.e2e)
        if "/faults/" in path:
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="session")
def stack():
    """Real Kafka and PostgreSQL for the session (or those named by the environment)."""
    from tools.devstack.stack import Stack

    if TEST_ROOT.exists():
        s = Stack(root=TEST_ROOT, kafka_port=KAFKA_PORT, pg_port=PG_PORT, port_offset=PORT_OFFSET)
        s.down()  # a previous run that died may have left processes behind
        shutil.rmtree(TEST_ROOT)
    # Every service writes its spans to a file of its own (tests/e2e/test_tracing.py reads them).
    s = Stack(
        root=TEST_ROOT,
        kafka_port=KAFKA_PORT,
        pg_port=PG_PORT,
        port_offset=PORT_OFFSET,
        durable=False,
        extra_env={"SPS_DEMO_MODE": "true", "SPS_TRACE_FILE": str(TRACES / "{service}.jsonl")},
        say=lambda msg: print(f"[stack] {msg}"),
    )
    s.infra_up()
    TRACES.mkdir(parents=True, exist_ok=True)
    yield s
    s.down()


@pytest.fixture(scope="session")
def platform(stack):
    """All six services as real processes on the test stack (ports +10000).

    Their policy is the repository's, except that failures from one address are not throttled:
    every test client shares 127.0.0.1, and the fuzz tests fail sign-ins on purpose. The throttle
    itself is tested in process (tests/integration/test_staff_accounts.py)."""
    import yaml

    from shared.paths import POLICY_DIR

    policy = TEST_ROOT / "policy"
    shutil.copytree(POLICY_DIR, policy, dirs_exist_ok=True)
    security = yaml.safe_load((policy / "security.yaml").read_text(encoding="utf-8"))
    security["throttle"]["per_address"]["max_failures"] = 1_000_000
    (policy / "security.yaml").write_text(yaml.safe_dump(security), encoding="utf-8")
    os.environ["SPS_POLICY_DIR"] = str(policy)
    stack.services_up()
    stack.wait_ready(timeout_s=120)
    yield stack
    stack.services_down()
    os.environ.pop("SPS_POLICY_DIR", None)
