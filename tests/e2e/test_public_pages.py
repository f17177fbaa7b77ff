"""Every public page in bokmål and English, on a 360 px phone and a desktop: axe finds nothing
serious, nothing scrolls sideways, every table cell (n and change included) is on screen, and
chart labels are whole and readable."""

from typing import Any

import pytest

from surveys.models import Company
from surveys.services.publishing import wave_publish
from tests.e2e.conftest import PHONE, _axe, assert_accessible, assert_fits_width
from tests.factories import poll_wave
from tests.surveys.services.test_aggregation import add_contacts, golden_wave, run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published() -> Any:
    wave = golden_wave()
    alfa = Company.objects.get(slug="alfa")
    add_contacts(wave, {"alfa": alfa}, {"alfa": [(70, "social", "yes")] * 3})
    run(wave)
    wave_publish(wave=wave, public=True)
    poll_wave()
    return wave


def pages(wave: Any, language: str) -> list[str]:
    base = f"/{wave.study.slug}/{wave.slug}/"
    if language == "nb":
        results = "/resultater" + base
        return [
            "/",
            "/resultater/",
            results,
            results + "bransje/bank/",
            results + "virksomhet/alfa/",
            results + "kanal/telefon/",
            "/temperatur/",
            "/konto/logg-inn/",
        ]
    results = "/en/results" + base
    return [
        "/en/",
        "/en/results/",
        results,
        results + "industry/bank/",
        results + "company/alfa/",
        results + "channel/phone/",
        "/en/temperature/",
        "/en/account/login/",
    ]


def landmark_findings(page: Any) -> list[str]:
    """axe's landmark-unique (moderate, so assert_accessible lets it pass): two landmarks of one
    kind with one name, e.g. a section and the scrolling table region inside it."""
    results = _axe.run(page, options={"runOnly": ["landmark-unique"]})
    return [str(node["target"]) for v in results.response["violations"] for node in v["nodes"]]


def cells_off_screen(page: Any) -> list[str]:
    """Table cells that are not wholly inside the viewport (cut off or scrolled away)."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          return [...document.querySelectorAll('table td, table th')]
            .filter(cell => cell.getClientRects().length)
            .filter(cell => {
              const box = cell.getBoundingClientRect();
              return box.right > width + 0.5 || box.left < -0.5;
            })
            .map(cell => cell.innerText.slice(0, 40));
        }"""
    )


def chart_labels(page: Any) -> list[dict[str, Any]]:
    """Each chart label: whether it lies inside its chart, and its rendered height in px."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.chart svg')].flatMap(svg => {
          const frame = svg.getBoundingClientRect();
          return [...svg.querySelectorAll('.bar-label')].map(label => {
            const box = label.getBoundingClientRect();
            const bars = [...svg.querySelectorAll('.bar')].map(b => b.getBoundingClientRect());
            const hidden = bars.some(bar => bar.top < box.bottom - 1 && bar.bottom > box.top + 1
              && bar.left < box.right - 1 && bar.right > box.left + 1 && bar.width > 0);
            return {text: label.textContent, inside: box.left >= frame.left - 3
              && box.right <= frame.right + 3, height: box.height, hidden};
          });
        })"""
    )


@pytest.mark.parametrize("language", ["nb", "en"])
def test_public_pages_are_accessible_and_readable_on_a_phone_and_a_desktop(
    live_server: Any, page: Any, viewport: dict[str, int], published: Any, language: str
) -> None:
    for path in pages(published, language):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == language, path
        assert_fits_width(page)
        assert_accessible(page)
        assert landmark_findings(page) == [], path
        if viewport == PHONE:
            assert cells_off_screen(page) == [], path
        for label in chart_labels(page):
            assert label["inside"], (path, label)
            assert not label["hidden"], (path, label)
            assert label["height"] >= 12, (path, label)


def test_the_channel_chart_names_messenger_in_full_on_a_phone(
    live_server: Any, page: Any, viewport: dict[str, int], published: Any
) -> None:
    page.goto(live_server.url + f"/resultater/{published.study.slug}/{published.slug}/")
    labels = {label["text"]: label for label in chart_labels(page)}
    messenger = labels["Messenger / sosiale medier"]
    assert messenger["inside"]
    assert not messenger["hidden"]
    assert messenger["height"] >= 12


def test_the_home_page_leads_to_results_and_the_poll(
    live_server: Any, page: Any, published: Any
) -> None:
    page.goto(live_server.url + "/")
    assert page.locator(".figure-card").first.is_visible()
    page.get_by_role("link", name="Bank", exact=True).first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Bank"
    page.go_back()
    page.get_by_role("link", name="Chat", exact=True).first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Chat")
    assert_accessible(page)


def test_the_api_docs_are_accessible(live_server: Any, page: Any) -> None:
    """Swagger UI: the page says its language, and its colours pass (the theme's greys did not)."""
    page.goto(live_server.url + "/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator(".swagger-ui .opblock-summary").first.click()
    page.locator(".swagger-ui .opblock-body").first.wait_for()
    assert_accessible(page)
