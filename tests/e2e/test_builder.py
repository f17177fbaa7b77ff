"""A panel manager builds a questionnaire in the browser: a section, questions with options, a
reorder with the keyboard and one with the mouse, then the preview a respondent would see."""

from typing import Any

import pytest
from playwright.sync_api import expect

from kundeservice.roles import Role
from surveys.models import Question, Questionnaire, Response
from tests.e2e.conftest import assert_accessible, assert_fits_width, wait_for_path
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def order() -> list[str]:
    return list(Question.objects.order_by("position").values_list("key", flat=True))


def check(page: Any) -> None:
    assert_fits_width(page)
    assert_accessible(page)


def settled(page: Any, text: str) -> None:
    """Wait until the builder's live region announces ``text``."""
    page.locator("#builder-status").filter(has_text=text).wait_for()


def test_build_reorder_and_preview(live_server: Any, page: Any, viewport: dict[str, int]) -> None:
    UserFactory(username="pm", roles=[Role.PANEL_MANAGER])
    page.goto(live_server.url + "/en/staff/questionnaires/")
    page.get_by_label("Username").focus()
    page.keyboard.type("pm")
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    wait_for_path(page, "/en/staff/questionnaires/")
    check(page)

    page.get_by_label("Key").fill("rask")
    page.get_by_label("Title (Norwegian)").fill("Rask måling")
    page.get_by_label("Title (English)").fill("Quick check")
    page.get_by_role("button", name="Create questionnaire").click()
    questionnaire = Questionnaire.objects.get(slug="rask")
    wait_for_path(page, f"/en/staff/questionnaires/{questionnaire.pk}/")
    check(page)

    page.get_by_role("link", name="Add section").click()
    form = page.locator("#new-section-form")
    form.get_by_label("Key").fill("main")
    form.get_by_label("Title (Norwegian)").fill("Hoveddel")
    form.get_by_label("Title (English)").fill("Main part")
    check(page)
    form.get_by_role("button", name="Save").click()
    settled(page, "Section “main” added.")
    check(page)

    page.get_by_role("link", name="Add question to “Hoveddel”").click()
    form = page.locator("[id$='-new-question-form']")
    assert form.get_by_role("group", name="Rating scale").is_hidden()  # single choice first
    form.get_by_label("Variable name").fill("speed")
    form.get_by_label("Question (Norwegian)").fill("Fikk du raskt svar?")
    form.get_by_label("Question (English)").fill("Did you get a quick answer?")
    for n, (value, label, label_en) in enumerate([("yes", "Ja", "Yes"), ("no", "Nei", "No")]):
        row = form.get_by_role("group", name=f"Option {n + 1}")
        row.get_by_label("Code").fill(value)
        row.get_by_label("Label (Norwegian)").fill(label)
        row.get_by_label("Label (English)").fill(label_en)
    check(page)
    form.get_by_role("button", name="Save").click()
    settled(page, "Question “speed” added.")

    page.get_by_role("link", name="Add question to “Hoveddel”").click()
    form = page.locator("[id$='-new-question-form']")
    form.get_by_label("Variable name").fill("comment")
    form.get_by_label("Type").select_option("text")
    assert form.get_by_role("group", name="Options").is_hidden()
    form.get_by_label("Question (Norwegian)").fill("Noe mer?")
    form.get_by_label("Question (English)").fill("Anything else?")
    form.get_by_label("An answer is required").uncheck()
    form.get_by_role("button", name="Save").click()
    settled(page, "Question “comment” added.")
    assert order() == ["speed", "comment"]
    check(page)

    # Keyboard: Enter on "Move up", the live region says where it went, focus stays on the item.
    page.get_by_role("button", name="Move up question “comment”").focus()
    page.keyboard.press("Enter")
    settled(page, "Question “comment” is now number 1 of 2 in “Hoveddel”.")
    assert order() == ["comment", "speed"]
    # "Move up" is disabled at the top, so focus lands on "Move down" once the swap settles.
    expect(page.get_by_role("button", name="Move down question “comment”")).to_be_focused()
    page.keyboard.press("Enter")
    settled(page, "Question “comment” is now number 2 of 2 in “Hoveddel”.")
    assert order() == ["speed", "comment"]
    check(page)

    if viewport["width"] > 360:
        # Mouse: drag "comment" by its handle above "speed". (On a phone each card is taller
        # than the screen; the Move buttons above are the way to reorder there.)
        comment = Question.objects.get(key="comment")
        speed = Question.objects.get(key="speed")
        page.locator(f"#question-{comment.pk} .drag-handle").first.drag_to(
            page.locator(f"#question-{speed.pk}"), target_position={"x": 20, "y": 4}
        )
        settled(page, "Question “comment” is now number 1 of 2")
        assert order() == ["comment", "speed"]

    page.get_by_role("link", name="Preview in English").click()
    wait_for_path(page, f"/en/staff/questionnaires/{questionnaire.pk}/preview/")
    assert page.get_by_role("heading", level=1).inner_text() == "Main part"
    assert page.get_by_text("Nothing is saved.").is_visible()
    check(page)
    page.get_by_role("group", name="Did you get a quick answer?").get_by_label("Yes").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("heading", name="Ready to submit").wait_for()
    check(page)
    page.get_by_role("button", name="Submit answers").click()
    page.get_by_role("heading", name="Thank you!").wait_for()
    check(page)
    assert not Response.objects.exists()
