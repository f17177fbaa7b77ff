"""A respondent answers an imported XLSForm: a note piping an earlier answer, a constraint with
its message, and or_other asking for the other answer as soon as it is chosen."""

from typing import Any

import pytest

from surveys.models import Response
from surveys.services.xlsform import questionnaire_import_xlsform
from tests.e2e.conftest import assert_accessible, assert_fits_width
from tests.factories import WaveFactory, invite
from tests.surveys.xlsforms import table, xlsx

pytestmark = pytest.mark.django_db(transaction=True)

SURVEY = [
    {"type": "begin_group", "name": "kontakt", "label": "Kontakten"},
    {"type": "text", "name": "firma", "label": "Hvilket selskap kontaktet du?"},
    {"type": "note", "name": "takk", "label": "Takk! Nå noen spørsmål om ${firma}."},
    {
        "type": "integer",
        "name": "ventetid",
        "label": "Hvor mange minutter ventet du?",
        "constraint": ". <= 120",
        "constraint_message": "Oppgi høyst 120 minutter.",
    },
    {"type": "select_one kanal or_other", "name": "kanal", "label": "Hvordan tok du kontakt?"},
    {"type": "end_group"},
]
CHOICES = [
    {"list_name": "kanal", "name": "phone", "label": "Telefon"},
    {"list_name": "kanal", "name": "chat", "label": "Chat"},
]


@pytest.fixture
def link(live_server: Any) -> str:
    form = xlsx({"survey": table(SURVEY), "choices": table(CHOICES)})
    questionnaire = questionnaire_import_xlsform(file=form, filename="kontakt.xlsx")
    return f"{live_server.url}/s/{invite(WaveFactory(questionnaire=questionnaire))}/"


def test_note_piping_constraint_and_or_other_in_the_browser(page: Any, link: str) -> None:
    page.goto(link)
    page.get_by_label("Hvilket selskap kontaktet du?").fill("Fjordbanken")
    page.keyboard.press("Tab")  # the change saves the page
    page.get_by_text("Svarene dine er lagret.").wait_for()
    page.reload()
    page.get_by_text("Takk! Nå noen spørsmål om Fjordbanken.").wait_for()

    page.get_by_label("Hvor mange minutter ventet du?").fill("500")
    # "Annet" decides what else is shown: saved at once, and its text box appears.
    page.get_by_role("group", name="Hvordan tok du kontakt?").get_by_label("Annet").check()
    page.get_by_label("Annet, nemlig:").wait_for()
    page.get_by_label("Annet, nemlig:").fill("Brev")
    page.get_by_role("button", name="Neste").click()  # the constraint refuses 500
    page.get_by_text("Oppgi høyst 120 minutter.").first.wait_for()
    assert page.get_by_label("Hvor mange minutter ventet du?").input_value() == "500"
    assert_fits_width(page)
    assert_accessible(page)

    page.get_by_label("Hvor mange minutter ventet du?").fill("12")
    page.get_by_role("button", name="Neste").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Send inn svarene").click()
    page.wait_for_load_state("networkidle")
    response = Response.objects.get()
    assert response.draft == {
        "firma": "Fjordbanken",
        "ventetid": 12,
        "kanal": "other",
        "kanal_other": "Brev",
    }
