"""End-to-end tests use the session's `platform` (tests/conftest.py): every service a real process."""

import pytest
from playwright.async_api import async_playwright

from tests.e2e.browser import ARGS, CHROMIUM


@pytest.fixture
async def browser():
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            await b.close()
