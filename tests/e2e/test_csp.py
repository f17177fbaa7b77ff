"""Pages run under the production Content-Security-Policy: the API docs start, and what the
policy refuses (an injected inline script) is refused and would fail the test that caused it."""

from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_start_under_the_policy(live_server: Any, page: Any) -> None:
    page.goto(live_server.url + "/api/docs/")
    title = page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert "Kundeservice API" in title.inner_text()
    page.get_by_text("/api/v1/companies/", exact=True).first.wait_for()


def test_an_injected_inline_script_does_not_run_and_is_reported(
    live_server: Any, browser: Any
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text))
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.head.appendChild(script);
        }"""
    )
    assert page.evaluate("() => window.injected") is None
    context.close()
    assert any("Content Security Policy" in text for text in errors), errors
