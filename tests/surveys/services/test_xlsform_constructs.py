"""XLSForm constructs customer-service forms use: notes, dates and times, constraints with their
messages, piping, required_message and guidance_hint. Imported, answered, exported back (and
accepted by pyxform), and the same again after a round trip."""

import io
from typing import Any

import pytest
from django.utils import translation
from pyxform.xls2xform import convert

from surveys.models import Question, Response
from surveys.services.xlsform import (
    questionnaire_export_xlsform,
    questionnaire_import_xlsform,
    questionnaire_review_xlsform,
    questionnaire_spec,
)
from tests.factories import WaveFactory, invite
from tests.surveys.xlsforms import table, xlsx

pytestmark = pytest.mark.django_db

SURVEY = [
    {"type": "begin_group", "name": "kontakt", "label::nb": "Kontakten", "label::en": "Contact"},
    {"type": "text", "name": "firma", "label::nb": "Hvilket selskap?", "label::en": "Company?"},
    {
        "type": "note",
        "name": "takk",
        "label::nb": "Takk! Nå om ${firma}.",
        "label::en": "Thanks! Now about ${firma}.",
    },
    {
        "type": "integer",
        "name": "ventetid",
        "label::nb": "Hvor mange minutter ventet du hos ${firma}?",
        "constraint": ". >= 0 and . <= 120",
        "constraint_message::nb": "Oppgi 0–120 minutter.",
        "constraint_message::en": "Give 0–120 minutes.",
        "required": "yes",
        "required_message::nb": "Vi trenger ventetiden.",
        "guidance_hint::nb": "Runde av til hele minutter.",
    },
    {"type": "date", "name": "dato", "label::nb": "Når?"},
    {"type": "time", "name": "klokka", "label::nb": "Klokkeslett?"},
    {"type": "end_group"},
]


def constructs_form() -> io.BytesIO:
    return xlsx({"survey": table(SURVEY), "settings": table([{"form_title": "Konstruksjoner"}])})


def test_constructs_import_with_their_types_messages_and_constraint() -> None:
    questionnaire = questionnaire_import_xlsform(file=constructs_form(), filename="k.xlsx")
    questions = {q.key: q for q in Question.objects.filter(questionnaire=questionnaire)}
    assert {k: q.type for k, q in questions.items()} == {
        "firma": "text",
        "takk": "note",
        "ventetid": "number",
        "dato": "date",
        "klokka": "time",
    }
    assert not questions["takk"].required
    assert questions["takk"].text == "Takk! Nå om ${firma}."
    assert questions["ventetid"].constraint == {
        "all": [
            {"q": "ventetid", "cmp": ">=", "value": 0},
            {"q": "ventetid", "cmp": "<=", "value": 120},
        ]
    }
    assert questions["ventetid"].translations == {
        "constraint_message": {"nb": "Oppgi 0–120 minutter.", "en": "Give 0–120 minutes."},
        "required_message": {"nb": "Vi trenger ventetiden."},
        "guidance_hint": {"nb": "Runde av til hele minutter."},
    }


def test_constructs_export_to_an_xlsform_pyxform_accepts_and_round_trip() -> None:
    questionnaire = questionnaire_import_xlsform(file=constructs_form(), filename="k.xlsx")
    exported = questionnaire_export_xlsform(questionnaire=questionnaire)
    xform = convert(xlsform=exported, file_type=".xlsx").xform
    assert 'constraint=". &gt;= 0 and . &lt;= 120"' in xform
    assert "Oppgi 0–120 minutter." in xform
    again = questionnaire_import_xlsform(file=io.BytesIO(exported), filename="k.xlsx")
    assert (
        questionnaire_spec(questionnaire=again)["sections"]
        == (questionnaire_spec(questionnaire=questionnaire)["sections"])
    )


def answer(client: Any, url: str, **values: str) -> Any:
    return client.post(url, {**values, "action": "next"}, HTTP_ACCEPT_LANGUAGE="nb")


def test_a_respondent_sees_the_note_with_piping_and_meets_the_constraint(client: Any) -> None:
    questionnaire = questionnaire_import_xlsform(file=constructs_form(), filename="k.xlsx")
    token = invite(WaveFactory(questionnaire=questionnaire))
    url = f"/s/{token}/"
    client.post(url, {"firma": "Fjordbanken", "action": "stay"})
    page = client.get(url).content.decode()
    assert "Takk! Nå om Fjordbanken." in page
    assert "Hvor mange minutter ventet du hos Fjordbanken?" in page
    assert 'type="date"' in page
    assert 'type="time"' in page

    refused = answer(client, url, firma="Fjordbanken", ventetid="500")
    assert refused.status_code == 400
    assert "Oppgi 0–120 minutter." in refused.content.decode()
    missing = answer(client, url, firma="Fjordbanken")
    assert "Vi trenger ventetiden." in missing.content.decode()
    bad_date = answer(client, url, firma="Fjordbanken", ventetid="5", dato="i går")
    assert "Oppgi en dato, f.eks. 2026-03-14." in bad_date.content.decode()

    accepted = answer(
        client, url, firma="Fjordbanken", ventetid="5", dato="2026-03-14", klokka="10:30"
    )
    assert accepted.status_code == 302
    assert client.post(url, {"action": "submit"}).status_code == 302
    response = Response.objects.get()
    assert response.draft == {
        "firma": "Fjordbanken",
        "ventetid": 5,
        "dato": "2026-03-14",
        "klokka": "10:30",
    }


def test_a_constraint_web_surveys_cannot_check_is_kept_with_a_warning_and_exported_back() -> None:
    survey = [
        {
            "type": "text",
            "name": "telefon",
            "label": "Telefon",
            "constraint": "regex(., '^[0-9]{8}$')",
        }
    ]
    form = xlsx({"survey": table(survey)})
    with translation.override("en"):
        parsed = questionnaire_review_xlsform(file=form, filename="f.xlsx")
    assert [w.column for w in parsed.warnings] == ["constraint"]
    assert "This constraint is not checked in web surveys" in parsed.warnings[0].message
    questionnaire = questionnaire_import_xlsform(
        file=xlsx({"survey": table(survey)}), filename="f.xlsx"
    )
    exported = questionnaire_export_xlsform(questionnaire=questionnaire)
    assert "regex(., '^[0-9]{8}$')" in convert(xlsform=exported, file_type=".xlsx").xform.replace(
        "&apos;", "'"
    )


def test_a_value_the_constraint_refuses_stays_typed_and_the_last_valid_answer_is_kept(
    client: Any,
) -> None:
    questionnaire = questionnaire_import_xlsform(file=constructs_form(), filename="k.xlsx")
    url = f"/s/{invite(WaveFactory(questionnaire=questionnaire))}/"
    client.post(url, {"firma": "Fjordbanken", "ventetid": "15", "action": "stay"})
    refused = client.post(url, {"firma": "Fjordbanken", "ventetid": "500", "action": "stay"})
    html = refused.content.decode()
    assert "Oppgi 0–120 minutter." in html
    assert 'value="500"' in html
    assert Response.objects.get().draft["ventetid"] == 15
