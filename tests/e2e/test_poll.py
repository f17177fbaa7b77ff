"""Someone opens a poll's open link on a phone, answers, and sees the result; once per browser."""

import copy
from typing import Any

import pytest
from django.test import Client

from surveys.models import Answer, Response, ResponseStatus
from surveys.services.questionnaires import questionnaire_create
from surveys.specs import CHANNEL_POLL
from tests.e2e.conftest import assert_accessible, assert_fits_width
from tests.factories import poll_wave

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "Hvilken kanal foretrekker du når du kontakter kundeservice?"


@pytest.fixture
def link(live_server: Any) -> str:
    wave = poll_wave(
        open_slug="kanal",
        show_results=True,
        questionnaire=questionnaire_create(spec=copy.deepcopy(CHANNEL_POLL)),
    )
    for choice in ("phone", "chat", "phone"):  # three earlier answers from other browsers
        other = Client()
        other.post(f"/p/{wave.open_slug}/", {"preferred_channel": choice, "action": "next"})
        other.post(f"/p/{wave.open_slug}/", {"action": "submit"})
    return f"{live_server.url}/p/{wave.open_slug}/"


def next_page(page: Any, label: str = "Neste") -> None:
    page.get_by_role("button", name=label).click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_answer_a_poll_and_see_the_result(page: Any, link: str) -> None:
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "nb"
    assert_fits_width(page)
    assert_accessible(page)
    with page.expect_response(lambda r: r.request.method == "POST"):  # autosave
        page.get_by_role("group", name=QUESTION).get_by_label("Chat eller chatbot").check()
    # One page, one button: answering and sending are one step (a double click sends once).
    page.get_by_role("button", name="Send svar").dblclick()

    result = page.get_by_role("table", name=QUESTION)
    result.wait_for()
    assert_fits_width(page)
    assert_accessible(page)
    chat = result.get_by_role("row", name="Chat eller chatbot")
    assert chat.get_by_role("cell").nth(0).inner_text() == "2"
    assert chat.get_by_role("cell").nth(1).inner_text().startswith("50")
    assert "(n = 4)" in result.locator("caption").inner_text()

    page.goto(link)  # a second visit: no form, the result again
    page.get_by_role("table", name=QUESTION).wait_for()
    assert page.get_by_role("button", name="Neste").count() == 0
    assert_accessible(page)
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 4
    assert Answer.objects.filter(value_text="chat").count() == 2


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_answer_a_poll_in_english_with_the_keyboard_only(page: Any, link: str) -> None:
    page.goto(link)
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    group = page.get_by_role("group", name="Which channel do you prefer")
    group.get_by_label("Phone").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Send answer").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Thank you!").wait_for()
    result = page.get_by_role("table", name="Which channel do you prefer")
    phone = result.get_by_role("row", name="Phone")
    assert phone.get_by_role("cell").nth(0).inner_text() == "3"
    assert_accessible(page)
