"""End-to-end tests use the session's `platform` (tests/conftest.py): every service a real process.

One Chromium for the session; each test makes its own contexts (its own cookies and storage),
and they are closed when it ends."""

import pytest
from playwright.async_api import async_playwright

from tests.e2e.browser import ARGS, CHROMIUM


@pytest.fixture(scope="session")
async def _chromium():
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
async def browser(_chromium):
    assert not _chromium.contexts, "a previous test left a browser context open"
    try:
        yield _chromium
    finally:
        for context in list(_chromium.contexts):
            await context.close()
