"""Playwright driving Debian's Chromium (Playwright cannot download its own browser here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("HEEDBACK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's 'chromium' package (make browser)"
        )
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
    # test itself are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshots(request) -> Path:
    """Return the folder where a test may leave screenshots for people to look at."""
    folder = Path(os.environ.get("HEEDBACK_ARTIFACTS", "test-artifacts")) / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
