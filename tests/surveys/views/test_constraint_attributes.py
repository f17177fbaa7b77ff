"""The respondent's page carries what the browser needs to check a constraint itself: the
condition the server checks, the saved answers it reads from earlier pages, and its message in
the page's language (surveys/static/surveys/constraints.js)."""

import json
from html.parser import HTMLParser
from typing import Any

import pytest

from surveys.models import Question
from surveys.services.xlsform import questionnaire_import_xlsform
from tests.factories import WaveFactory, invite
from tests.surveys.xlsforms import table, xlsx

pytestmark = pytest.mark.django_db

SURVEY = [
    {"type": "begin_group", "name": "en", "label::nb": "Medlemskap", "label::en": "Membership"},
    {"type": "select_one yes_no", "name": "medlem", "label::nb": "Medlem?", "label::en": "Member?"},
    {"type": "end_group"},
    {"type": "begin_group", "name": "to", "label::nb": "Rabatt", "label::en": "Discount"},
    {
        "type": "integer",
        "name": "rabatt",
        "label::nb": "Hvor mange prosent rabatt fikk du?",
        "label::en": "What discount did you get?",
        "constraint": ". <= 10 or ${medlem} = 'yes'",
        "constraint_message::nb": "Bare medlemmer får mer enn 10 %.",
        "constraint_message::en": "Only members get more than 10 %.",
    },
    {"type": "end_group"},
]
CHOICES = [
    {"list_name": "yes_no", "name": "yes", "label::nb": "Ja", "label::en": "Yes"},
    {"list_name": "yes_no", "name": "no", "label::nb": "Nei", "label::en": "No"},
]


class Questions(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "div" and found.get("data-key"):
            self.found[str(found["data-key"])] = found


def questions(html: str) -> dict[str, dict[str, str | None]]:
    parser = Questions()
    parser.feed(html)
    return parser.found


@pytest.fixture
def url() -> str:
    form = xlsx({"survey": table(SURVEY), "choices": table(CHOICES)})
    questionnaire = questionnaire_import_xlsform(file=form, filename="rabatt.xlsx")
    return f"/s/{invite(WaveFactory(questionnaire=questionnaire))}/"


def test_the_page_carries_the_constraint_its_saved_answers_and_message(
    client: Any, url: str
) -> None:
    first = questions(client.get(url).content.decode())
    assert "data-constraint" not in first["medlem"]
    assert client.post(url, {"medlem": "yes", "action": "next"}).status_code == 302

    rabatt = questions(client.get(url).content.decode())["rabatt"]
    stored = Question.objects.get(key="rabatt").constraint
    assert json.loads(str(rabatt["data-constraint"])) == stored
    assert json.loads(str(rabatt["data-constraint-answers"])) == {"medlem": "yes"}
    assert rabatt["data-constraint-message"] == "Bare medlemmer får mer enn 10 %."
    assert rabatt["data-type"] == "number"

    english = questions(client.get(url + "?lang=en").content.decode())["rabatt"]
    assert english["data-constraint-message"] == "Only members get more than 10 %."
