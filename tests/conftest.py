"""Test-wide fixtures. Unit tests need nothing; integration and e2e tests get a real Kafka
(KRaft) and a real PostgreSQL of their own, brought up once per session through `make up`'s CLI
on ports apart from a developer's `make up` (tests/session_stack.py).

The order is the cheapest feedback first and what shares the stack's topics in the order least
in each other's way: unit and static tests (while the stack starts in the background),
integration tests (in-process services, before the six service processes exist to read their
traffic too), end-to-end tests, the fault suite (it floods the shared topics), and last
tests/zz_final (the identity scan, then `down` and a timed second `up`).

`make test` runs the suite as three lanes at once (tools/testrun.py), each on a stack of its own,
chosen by SPS_TEST_LANE: "infra" runs the integration tests and the replicated platform's fault
test (which has a cluster of its own, started in the background after the lane's stack),
"faults" the rest of the fault suite and the release-notice import, "platform" everything else;
the identity scan runs at the end of each, over the lane's own stack. Unset, one process runs
everything selected."""

from __future__ import annotations

import os

import pytest

from tests.kafka_helpers import TopicTail
from tests.session_stack import (
    KAFKA_PORT,
    PG_PORT,
    POLICY,
    PORT_OFFSET,
    TEST_ROOT,
    TRACES,
    cluster,
    describe,
    infrastructure,
    must,
)

__all__ = ["KAFKA_PORT", "PG_PORT", "PORT_OFFSET", "TEST_ROOT", "TRACES"]  # what tests import from here

ORDER = ("/unit/", "/static/", "/integration/", "/e2e/", "/faults/", "/zz_final/")
LANES = {
    "infra": ("/integration/", "/faults/test_cluster_platform.py"),
    # the import and the console's fuzzing: the longest e2e tests, to even the lanes
    "faults": ("/faults/", "/e2e/test_handover_import.py", "/e2e/test_console_fuzz.py"),
}
EVERY_LANE = ("/zz_final/test_identity_scan.py",)


def _rank(item: pytest.Item) -> int:
    path = str(item.path)
    return next((i for i, part in enumerate(ORDER) if part in path), len(ORDER))


def lane_of(path: str) -> str:
    """The first lane that claims the path (infra before faults: the cluster module is infra's);
    the platform lane has the rest."""
    return next((lane for lane, parts in LANES.items() if any(part in path for part in parts)), "platform")


def in_lane(path: str, lane: str) -> bool:
    return not lane or any(part in path for part in EVERY_LANE) or lane_of(path) == lane


def pytest_collection_modifyitems(config, items):
    lane = os.environ.get("SPS_TEST_LANE", "")
    if lane:
        other = [item for item in items if not in_lane(str(item.path), lane)]
        if other:
            config.hook.pytest_deselected(items=other)
            items[:] = [item for item in items if in_lane(str(item.path), lane)]
    items.sort(key=_rank)  # stable: within a directory, collection order stays
    for item in items:
        path = str(item.path)
        if "/integration/" in path:
            item.add_marker(pytest.mark.integration)
        if "/e2e/" in path:
            item.add_marker(pytest.mark.e2e)
        if "/faults/" in path:
            item.add_marker(pytest.mark.faults)


def pytest_collection_finish(session):
    """Start Kafka and PostgreSQL now, in the background, if any selected test will need them;
    and the replicated platform likewise."""
    needed = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    if "stack" in needed:
        # The six services too, if the platform will be needed and no in-process service of the
        # integration tests would have them reading its traffic meanwhile.
        early = "platform" in needed and not any("/integration/" in str(item.path) for item in session.items)
        infrastructure.begin(services=early)
    if "cluster" in needed and os.environ.get("SPS_TEST_LANE"):  # alone (make reliability), when its turn comes
        cluster.begin()


@pytest.fixture(scope="session")
async def stack():
    """Real Kafka and PostgreSQL for the session (or those named by the environment). At its
    end the session's topic readers stop (tests/kafka_helpers.TopicTail), then the stack."""
    infrastructure.wait()
    s = describe()
    if s.credentials is not None:  # this process talks to Kafka as the operator, as `make up`'s tools do
        os.environ.update(s.credentials.operator_auth(demo=True).environ())
    if infrastructure.seconds is not None:
        print(f"\n[stack] Kafka and PostgreSQL up in {infrastructure.seconds:.1f}s (in the background)")
    yield s
    await TopicTail.close_all()
    must("down")


@pytest.fixture(scope="session")
def platform(stack):
    """All six services as real processes on the test stack (ports +10000), started by `make
    up`'s CLI with the test stack's settings (tests/session_stack.py, `service_env`). This
    process reads the same policy copy, as the services do."""
    os.environ["SPS_POLICY_DIR"] = str(POLICY)
    if not infrastructure.options.get("services"):  # else `up` ran in the background already
        must("up")
    yield stack
    stack.services_down()
    os.environ.pop("SPS_POLICY_DIR", None)
