"""Playwright on Debian's Chromium, with an axe-core check helper for every page visited."""

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.signals import request_finished, request_started

from tests.conftest import CHROMIUM

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_axe = Axe()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread while the browser is
    # open; the ORM calls tests make meanwhile are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(params=sorted(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    return VIEWPORTS[request.param]


@pytest.fixture
def page(browser: Any, viewport: dict[str, int]) -> Iterator[Any]:
    """A page under the site's own Content-Security-Policy (the test settings send production's):
    anything the policy refuses on any page the test visits fails the test."""
    context = browser.new_context(viewport=viewport, locale="nb-NO")
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    _settle(page)
    context.close()
    assert not violations, "the Content-Security-Policy refused:\n" + "\n".join(violations)


class _InFlight:
    """The live server's threads answering a request now (Django's request signals). Only the
    live server's request threads count: the test client's requests run in the test's own
    thread, and a streamed response it never reads never sends ``request_finished``."""

    def __init__(self) -> None:
        self.threads: set[threading.Thread] = set()
        self.lock = threading.Lock()

    def started(self, **_: Any) -> None:
        thread = threading.current_thread()
        if "process_request" in thread.name:
            with self.lock:
                self.threads.add(thread)

    def finished(self, **_: Any) -> None:
        with self.lock:
            self.threads.discard(threading.current_thread())

    def busy(self) -> bool:
        with self.lock:
            self.threads = {thread for thread in self.threads if thread.is_alive()}
            return bool(self.threads)


_in_flight = _InFlight()
request_started.connect(_in_flight.started, dispatch_uid="e2e-in-flight-started")
request_finished.connect(_in_flight.finished, dispatch_uid="e2e-in-flight-finished")


def _settle(page: Any) -> None:
    """Leave the page and let the live server finish what it still answers before the test's
    database is flushed: leaving fires the respondent page's last autosave (a ``pagehide``
    beacon), which would otherwise reach the server during the flush (a deadlock, or "database
    access not allowed") and fail the next test."""
    with contextlib.suppress(Exception):  # a test may have closed or crashed its page
        page.goto("about:blank", timeout=5_000)
    deadline = time.monotonic() + 5
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        if _in_flight.busy():
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 0.2:  # a beacon sent on leaving has arrived
            return
        time.sleep(0.02)


def assert_accessible(page: Any) -> None:
    """No serious or critical axe-core violations on the page as it is now."""
    results = _axe.run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in bad
    )
    assert not bad, f"axe found serious/critical violations on {page.url}:\n{report}"


def assert_fits_width(page: Any) -> None:
    """Nothing makes the page scroll sideways (the 360 px check)."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the viewport at {page.url}"


def wait_for_path(page: Any, path: str) -> None:
    """Wait until the page's path (not its query string) is ``path``."""
    page.wait_for_url(lambda url: urlparse(url).path == path)
