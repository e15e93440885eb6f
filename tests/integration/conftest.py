from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _infra(stack):
    """Every integration test runs against the session's real Kafka and PostgreSQL."""
    return stack
