"""The front page in both languages, on a phone and a desktop, keyboard and axe included."""

from typing import Any

import pytest

from tests.e2e.conftest import assert_accessible, assert_fits_width
from tests.factories import CompanyFactory, IndustryFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalog() -> None:
    bank = IndustryFactory(slug="bank", name="Bank", name_en="Banking")
    CompanyFactory.create_batch(3, industry=bank)
    IndustryFactory(slug="strom", name="Strøm", name_en="Electricity")


@pytest.mark.parametrize(
    ("path", "lang", "heading", "industry"),
    [
        ("/", "nb", "Kundeservice i Norge, målt", "Bank"),
        ("/en/", "en", "Customer service in Norway, measured", "Banking"),
    ],
)
def test_home_page_in_each_language(
    live_server: Any, page: Any, catalog: None, path: str, lang: str, heading: str, industry: str
) -> None:
    page.goto(live_server.url + path)
    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.get_by_role("heading", name=industry, exact=True).is_visible()
    assert_fits_width(page)
    assert_accessible(page)


def test_language_switcher_and_skip_link_work_by_keyboard(
    live_server: Any, page: Any, catalog: None
) -> None:
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.get_by_role("navigation", name="Språk").get_by_role("link", name="English").click()
    page.wait_for_url(live_server.url + "/en/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Norsk").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "nb"
    assert_accessible(page)
