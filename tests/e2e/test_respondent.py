"""A respondent answers on a phone and a desktop: branching live, reload mid-way, submit once."""

from typing import Any

import pytest

from surveys.models import Answer, Response, ResponseStatus
from tests.e2e.conftest import assert_accessible, assert_fits_width
from tests.factories import CompanyFactory, WaveFactory, invite

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def link(live_server: Any) -> str:
    CompanyFactory(slug="fjordbanken", name="Fjordbanken")
    return f"{live_server.url}/s/{invite(WaveFactory())}/"


def next_page(page: Any, label: str = "Neste") -> None:
    """Click a page button: htmx posts the page and swaps in the reply (no navigation)."""
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name=label).click()
    settled(page)


def settled(page: Any) -> None:
    """htmx has swapped and settled (a selector wait: the page's CSP refuses evaluated strings)."""
    page.wait_for_selector(
        ".htmx-request, .htmx-settling, .htmx-swapping, .htmx-added", state="detached"
    )


def test_respondent_answers_with_branching_reload_and_submit(page: Any, link: str) -> None:
    page.goto(link)
    assert page.get_by_text("Side 1 av 4").is_visible()
    assert_fits_width(page)
    assert_accessible(page)
    page.get_by_role("group", name="Har du vært i kontakt").get_by_label("Ja").check()
    next_page(page)

    page.get_by_label("Hvilken virksomhet var du sist i kontakt med?").select_option("fjordbanken")
    page.get_by_role("group", name="Hvordan tok du kontakt?").get_by_label(
        "Chat", exact=True
    ).check()
    page.get_by_role("group", name="Hadde du vært i kontakt").get_by_label("Nei").check()
    assert_accessible(page)
    next_page(page)

    follow_up = page.get_by_role("group", name="Må du kontakte dem igjen")
    assert follow_up.count() == 0
    page.get_by_role("group", name="Hvor fornøyd").get_by_label("5").check()
    page.get_by_role("group", name="Ble saken din løst?").get_by_label("Delvis").check()
    follow_up.wait_for()  # branching shown live, without leaving the page
    with page.expect_response(lambda r: r.request.method == "POST"):
        follow_up.get_by_label("Ja").check()
    page.get_by_role("status").filter(has_text="Svarene dine er lagret.").wait_for()
    # The swap keeps the keyboard where it was.
    assert page.evaluate("document.activeElement.name") == "must_contact_again"

    page.reload()  # nothing typed is lost
    assert page.get_by_role("group", name="Ble saken din løst?").get_by_label("Delvis").is_checked()
    assert (
        page.get_by_role("group", name="Må du kontakte dem igjen").get_by_label("Ja").is_checked()
    )
    next_page(page)
    assert page.get_by_role("alert").is_visible()  # NPS is required
    assert_accessible(page)
    page.get_by_role("group", name="Hvor sannsynlig").get_by_label("9", exact=True).check()
    next_page(page)

    page.get_by_role("group", name="Hvilken kanal foretrekker").get_by_label("Telefon").check()
    next_page(page)
    assert page.get_by_role("heading", name="Klar til å sende").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Send inn svarene").dblclick()
    page.get_by_role("heading", name="Takk!").wait_for()
    assert_accessible(page)

    response = Response.objects.get()
    assert response.status == ResponseStatus.SUBMITTED
    assert Answer.objects.filter(response=response, question__key="must_contact_again").exists()
    assert Answer.objects.filter(response=response).count() == 9


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_respondent_in_english_with_the_keyboard_only(page: Any, link: str) -> None:
    page.goto(link + "?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_text("Page 1 of 4").is_visible()
    page.get_by_role("group", name="Have you contacted").get_by_label("No").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Thank you!").wait_for()
    assert "no more questions for you" in page.content()
    assert_accessible(page)
    assert Response.objects.get().status == ResponseStatus.SCREENED_OUT
