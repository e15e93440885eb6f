from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def platform(stack):
    """All six services as real processes on the test stack (ports +10000)."""
    stack.services_up()
    stack.wait_ready(timeout_s=120)
    yield stack
    stack.services_down()
