"""XLSForm ``calculate`` and ``choice_filter``: a calculated value feeds a later ``relevant`` and
is piped into a label; a choice filter narrows a select to the choices of an earlier answer.
Imported, answered (page by page and through the API), exported back (pyxform accepts it) and the
same again after a round trip."""

import io
from typing import Any

import pytest
from pyxform.xls2xform import convert
from rest_framework.test import APIClient

from kundeservice.errors import ImportRejected
from surveys.models import Option, Question, Response
from surveys.services.xlsform import (
    questionnaire_export_xlsform,
    questionnaire_import_xlsform,
    questionnaire_review_xlsform,
    questionnaire_spec,
)
from tests.factories import WaveFactory, invite
from tests.surveys.xlsforms import table, xlsx

pytestmark = pytest.mark.django_db

SURVEY: list[dict[str, Any]] = [
    {"type": "begin_group", "name": "kontakt", "label::nb": "Kontakten"},
    {"type": "select_one industry", "name": "bransje", "label::nb": "Hvilken bransje?"},
    {
        "type": "select_one company",
        "name": "selskap",
        "label::nb": "Hvilket selskap?",
        "choice_filter": "industry = ${bransje}",
    },
    {"type": "integer", "name": "ventetid", "label::nb": "Minutter i kø?"},
    {"type": "end_group"},
    {"type": "begin_group", "name": "vurdering", "label::nb": "Vurdering"},
    {
        "type": "calculate",
        "name": "timer",
        "calculation": "round(${ventetid} div 60, 1)",
    },
    {
        "type": "calculate",
        "name": "navn",
        "calculation": "jr:choice-name(${selskap}, '${selskap}')",
    },
    {
        "type": "text",
        "name": "lang_ko",
        "label::nb": "Du ventet ${timer} timer hos ${navn}. Hva skjedde?",
        "relevant": "${timer} >= 1",
    },
    {"type": "text", "name": "ros", "label::nb": "Hva var bra med ${navn}?"},
    {"type": "end_group"},
]
CHOICES: list[dict[str, Any]] = [
    {"list_name": "industry", "name": "bank", "label::nb": "Bank"},
    {"list_name": "industry", "name": "tele", "label::nb": "Telekom"},
    {"list_name": "company", "name": "fjordbanken", "label::nb": "Fjordbanken", "industry": "bank"},
    {"list_name": "company", "name": "nordbank", "label::nb": "Nordbank", "industry": "bank"},
    {"list_name": "company", "name": "telefjord", "label::nb": "Telefjord", "industry": "tele"},
]


def form(survey: list[dict[str, Any]] | None = None) -> io.BytesIO:
    return xlsx(
        {
            "survey": table(survey or SURVEY),
            "choices": table(CHOICES),
            "settings": table([{"form_title": "Kø", "form_id": "ko"}]),
        }
    )


def test_calculations_and_a_choice_filter_import_as_expressions_without_warnings() -> None:
    review = questionnaire_review_xlsform(file=form(), filename="ko.xlsx")
    assert [w.message for w in review.warnings] == []
    questionnaire = questionnaire_import_xlsform(file=form(), filename="ko.xlsx")
    questions = {q.key: q for q in Question.objects.filter(questionnaire=questionnaire)}
    assert questions["timer"].calculation == {
        "fn": "round",
        "args": [{"op": "div", "args": [{"ref": "ventetid"}, 60]}, 1],
    }
    assert questions["timer"].relevant == {"any": []}  # never shown itself
    assert questions["lang_ko"].relevant == {"q": "timer", "cmp": ">=", "value": 1}
    assert questions["selskap"].choice_filter == {
        "op": "=",
        "args": [{"col": "industry"}, {"ref": "bransje"}],
    }
    columns = dict(
        Option.objects.filter(question=questions["selskap"]).values_list("value", "columns")
    )
    assert columns == {
        "fjordbanken": {"industry": "bank"},
        "nordbank": {"industry": "bank"},
        "telefjord": {"industry": "tele"},
    }


def test_the_export_keeps_calculations_and_the_filter_and_round_trips() -> None:
    questionnaire = questionnaire_import_xlsform(file=form(), filename="ko.xlsx")
    exported = questionnaire_export_xlsform(questionnaire=questionnaire)
    xform = convert(xlsform=exported, file_type=".xlsx").xform
    assert 'calculate="round( /data/kontakt/ventetid  div 60, 1)"' in xform
    assert "/root/item[industry =  /data/kontakt/bransje ]" in xform
    again = questionnaire_import_xlsform(file=io.BytesIO(exported), filename="ko.xlsx")
    assert (
        questionnaire_spec(questionnaire=again)["sections"]
        == questionnaire_spec(questionnaire=questionnaire)["sections"]
    )


def post(client: Any, url: str, action: str = "next", **values: str) -> Any:
    return client.post(url, {**values, "action": action}, HTTP_ACCEPT_LANGUAGE="nb")


def test_a_respondent_sees_only_the_filtered_choices_and_the_calculated_value(
    client: Any,
) -> None:
    questionnaire = questionnaire_import_xlsform(file=form(), filename="ko.xlsx")
    url = f"/s/{invite(WaveFactory(questionnaire=questionnaire))}/"
    first = client.get(url).content.decode()
    assert "Fjordbanken" not in first  # nothing chosen yet: no company matches

    post(client, url, "stay", bransje="bank")
    page = client.get(url).content.decode()
    assert "Fjordbanken" in page
    assert "Nordbank" in page
    assert "Telefjord" not in page
    assert "bransje" in page.split('data-branching="')[1].split('"')[0]

    refused = post(client, url, bransje="bank", selskap="telefjord", ventetid="90")
    assert refused.status_code == 400
    assert "Velg blant alternativene som vises" in refused.content.decode()

    moved = post(client, url, bransje="bank", selskap="fjordbanken", ventetid="90")
    assert moved.status_code == 302
    page = client.get(url).content.decode()
    assert "Du ventet 1.5 timer hos Fjordbanken. Hva skjedde?" in page
    assert "Hva var bra med Fjordbanken?" in page

    post(client, url, "back")
    post(client, url, bransje="bank", selskap="fjordbanken", ventetid="20")
    page = client.get(url).content.decode()
    assert "Hva skjedde?" not in page  # 0.3 hours: the relevant on the calculation is false
    assert post(client, url, ros="Rask").status_code == 302
    assert client.post(url, {"action": "submit"}).status_code == 302
    assert Response.objects.get().draft == {
        "bransje": "bank",
        "selskap": "fjordbanken",
        "ventetid": 20,
        "ros": "Rask",
    }  # calculated values are never stored


def test_the_api_refuses_a_choice_the_filter_leaves_out() -> None:
    questionnaire = questionnaire_import_xlsform(file=form(), filename="ko.xlsx")
    token = invite(WaveFactory(questionnaire=questionnaire))
    answers = {"bransje": "tele", "selskap": "fjordbanken", "ventetid": 5, "ros": "Bra"}
    refused = APIClient().post(
        f"/api/v1/respond/{token}/submit/",
        {"answers": answers},
        format="json",
    )
    assert refused.status_code == 400
    assert "selskap" in str(refused.json())
    assert "Velg blant alternativene som vises" in str(refused.json())
    accepted = APIClient().post(
        f"/api/v1/respond/{token}/submit/",
        {"answers": {**answers, "selskap": "telefjord"}},
        format="json",
    )
    assert accepted.status_code == 202


def test_an_unsupported_calculation_a_relevant_uses_is_refused_naming_its_row() -> None:
    survey = [dict(row) for row in SURVEY]
    survey[6] = {**survey[6], "calculation": "today() - ${ventetid}"}
    with pytest.raises(ImportRejected) as refused:
        questionnaire_import_xlsform(file=form(survey), filename="ko.xlsx")
    errors = [e.as_dict() for e in refused.value.row_errors]
    assert len(errors) == 1
    assert errors[0]["sheet"] == "survey"
    assert errors[0]["row"] == 8
    assert errors[0]["column"] == "calculation"
    assert "timer" in errors[0]["message"]
    assert "rad 10" in errors[0]["message"]


def test_an_unsupported_calculation_only_a_label_shows_is_kept_with_a_warning() -> None:
    survey = [dict(row) for row in SURVEY]
    survey[7] = {**survey[7], "calculation": "pulldata('x', 'y', 'z', ${selskap})"}
    review = questionnaire_review_xlsform(file=form(survey), filename="ko.xlsx")
    assert [(w.row, w.column) for w in review.warnings] == [(9, "calculation")]
    questionnaire = questionnaire_import_xlsform(file=form(survey), filename="ko.xlsx")
    navn = Question.objects.get(questionnaire=questionnaire, key="navn")
    assert navn.calculation is None
    assert navn.translations["xlsform"]["calculation"] == "pulldata('x', 'y', 'z', ${selskap})"


def test_an_unsupported_choice_filter_shows_every_choice_with_a_warning() -> None:
    survey = [dict(row) for row in SURVEY]
    survey[2] = {**survey[2], "choice_filter": "starts-with(industry, ${bransje})"}
    review = questionnaire_review_xlsform(file=form(survey), filename="ko.xlsx")
    assert [(w.row, w.column) for w in review.warnings] == [(4, "choice_filter")]
    assert "alle valg vises" in review.warnings[0].message
    questionnaire = questionnaire_import_xlsform(file=form(survey), filename="ko.xlsx")
    assert Question.objects.get(questionnaire=questionnaire, key="selskap").choice_filter is None


@pytest.mark.parametrize(
    "choice_filter",
    [
        "${bransje} = industry",
        "selected(${bransje}, industry)",
        "industry = ${bransje} or name = 'telefjord'",
    ],
)
def test_the_other_spellings_of_a_choice_filter_import_and_round_trip(choice_filter: str) -> None:
    survey = [dict(row) for row in SURVEY]
    survey[2] = {**survey[2], "choice_filter": choice_filter}
    questionnaire = questionnaire_import_xlsform(file=form(survey), filename="ko.xlsx")
    assert Question.objects.get(questionnaire=questionnaire, key="selskap").choice_filter
    exported = questionnaire_export_xlsform(questionnaire=questionnaire)
    convert(xlsform=exported, file_type=".xlsx")
    again = questionnaire_import_xlsform(file=io.BytesIO(exported), filename="ko.xlsx")
    assert (
        questionnaire_spec(questionnaire=again)["sections"]
        == questionnaire_spec(questionnaire=questionnaire)["sections"]
    )


def test_a_calculation_reading_a_row_web_surveys_do_not_ask_is_not_computed() -> None:
    survey = [
        {"type": "today", "name": "idag"},
        *SURVEY[:7],
        {"type": "calculate", "name": "navn", "calculation": "concat(${idag}, ${selskap})"},
        *SURVEY[8:],
    ]
    review = questionnaire_review_xlsform(file=form(survey), filename="ko.xlsx")
    navn = next(w for w in review.warnings if w.column == "calculation")
    assert "${idag}" in navn.message
    assert navn.row == 10


def test_a_choice_the_filter_no_longer_offers_is_dropped_when_the_earlier_answer_changes(
    client: Any,
) -> None:
    questionnaire = questionnaire_import_xlsform(file=form(), filename="ko.xlsx")
    url = f"/s/{invite(WaveFactory(questionnaire=questionnaire))}/"
    post(client, url, "stay", bransje="bank", selskap="fjordbanken")
    assert Response.objects.get().draft == {"bransje": "bank", "selskap": "fjordbanken"}
    # The industry changes while the old company is still ticked on the page.
    refused = post(client, url, "stay", bransje="tele", selskap="fjordbanken")
    assert refused.status_code == 400
    assert "Velg blant alternativene som vises" in refused.content.decode()
    assert Response.objects.get().draft == {"bransje": "tele"}  # not the stale company
