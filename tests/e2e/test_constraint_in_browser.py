"""A constraint is checked on the respondent's page as soon as the field is left: its message
appears beside the question without a request to the server, in the page's language, and goes
when the answer is accepted. The browser's copy of ``is_shown`` answers the same table of
conditions as the server's (tests/surveys/condition_table.json)."""

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from surveys.services.xlsform import questionnaire_import_xlsform
from tests.e2e.conftest import assert_accessible
from tests.factories import WaveFactory, invite
from tests.surveys.xlsforms import table, xlsx

pytestmark = pytest.mark.django_db(transaction=True)

TABLE = json.loads(
    (Path(__file__).parent.parent / "surveys" / "condition_table.json").read_text(encoding="utf-8")
)
SURVEY = [
    {"type": "begin_group", "name": "deg", "label::nb": "Om deg", "label::en": "About you"},
    {
        "type": "integer",
        "name": "alder",
        "label::nb": "Hvor gammel er du?",
        "label::en": "How old are you?",
        "constraint": ". >= 18",
        "constraint_message::nb": "Du må være minst 18 år.",
        "constraint_message::en": "You must be at least 18.",
    },
    {
        "type": "text",
        "name": "kommentar",
        "label::nb": "Kommentar",
        "label::en": "Comment",
        "required": "no",
    },
    {"type": "end_group"},
]
NB = "Du må være minst 18 år."
EN = "You must be at least 18."


@pytest.fixture
def link(live_server: Any) -> str:
    form = xlsx({"survey": table(SURVEY)})
    questionnaire = questionnaire_import_xlsform(file=form, filename="alder.xlsx")
    return f"{live_server.url}/s/{invite(WaveFactory(questionnaire=questionnaire))}/"


def test_a_refused_value_is_named_when_the_field_is_left_without_asking_the_server(
    page: Any, link: str
) -> None:
    page.goto(link)
    page.wait_for_load_state("networkidle")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    age = page.get_by_label("Hvor gammel er du?")

    age.fill("15")
    age.press("Tab")
    message = page.get_by_text(NB)
    expect(message).to_be_visible()
    expect(age).to_have_attribute("aria-invalid", "true")
    expect(age).to_have_accessible_description(NB)
    assert requests == []
    assert_accessible(page)

    requests.clear()  # autosave's pause starts again with the next change
    age.fill("18")
    age.press("Tab")
    expect(message).to_have_count(0)
    expect(age).not_to_have_attribute("aria-invalid", "true")
    expect(age).to_have_accessible_description("")
    assert requests == []  # what is typed is saved later (autosave), not to check it

    # The server still decides: a refused value sent with "Next" comes back with the message.
    age.fill("17")
    page.get_by_role("button", name="Neste").click()
    expect(page.locator("#error-summary")).to_contain_text(NB)
    expect(page.locator("#err-alder")).to_have_text(NB)
    page.wait_for_load_state("networkidle")


def test_the_message_is_in_the_pages_language(page: Any, link: str) -> None:
    page.goto(link + "?lang=en")
    age = page.get_by_label("How old are you?")
    age.fill("9")
    age.blur()
    expect(page.get_by_text(EN)).to_be_visible()
    expect(age).to_have_accessible_description(EN)


def test_the_browser_judges_every_condition_as_the_server_does(page: Any, link: str) -> None:
    page.goto(link)
    judged = page.evaluate(
        """table => table.map(row => {
          const conditions = window.kundeservice.conditions;
          try {
            return conditions.isShown(row.condition, row.answers);
          } catch (error) {
            return error instanceof conditions.ConditionError ? "error" : String(error);
          }
        })""",
        TABLE,
    )
    assert {row["case"]: got for row, got in zip(TABLE, judged, strict=True)} == {
        row["case"]: row["expected"] for row in TABLE
    }
