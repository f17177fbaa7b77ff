"""Real-world XLSForms, read by pyxform: file types and type spellings it knows, what the
platform cannot show imported with a warning, and the bugs found in forms as found."""

import io
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from kundeservice.errors import DomainError, ImportRejected
from surveys.models import Question, Questionnaire
from surveys.services.xlsform import (
    questionnaire_export_xlsform,
    questionnaire_import_xlsform,
    questionnaire_spec,
)
from surveys.xlsform import read_xlsform
from tests.surveys.xlsforms import table, xlsx
from tests.workbook_bombs import xlsx_with

pytestmark = pytest.mark.django_db

KOBO_SURVEY = [
    {"type": "start", "name": "start"},
    {"type": "deviceid", "name": "deviceid"},
    {
        "type": "select one from yn",
        "name": "kontakt",
        "label::Norsk (nb)": "Kontaktet du kundeservice?",
        "label::English (en)": "Did you contact customer service?",
        "label::Deutsch (de)": "Haben Sie den Kundendienst kontaktiert?",
    },
    {
        "type": "select all that apply kanaler",
        "name": "kanaler",
        "label::Norsk (nb)": "Hvilke kanaler?",
        "label::Deutsch (de)": "Welche Kanäle?",
        "relevant": "${kontakt} = 'yes'",
    },
    {"type": "string", "name": "navn", "label::Norsk (nb)": "Navn"},
    {"type": "int", "name": "alder", "label::Norsk (nb)": "Alder"},
    {"type": "geopoint", "name": "sted", "label::Norsk (nb)": "Hvor er du?"},
]
KOBO_CHOICES = [
    {"list_name": "yn", "name": "yes", "label::Norsk (nb)": "Ja", "label::Deutsch (de)": "Ja"},
    {"list_name": "yn", "name": "no", "label::Norsk (nb)": "Nei", "label::Deutsch (de)": "Nein"},
    {"list_name": "kanaler", "name": "phone", "label::Norsk (nb)": "Telefon"},
    {"list_name": "kanaler", "name": "chat", "label::Norsk (nb)": "Chat"},
]


def kobo_form(**sheets: list[dict[str, Any]]) -> io.BytesIO:
    form = {"survey": KOBO_SURVEY, "choices": KOBO_CHOICES, **sheets}
    return xlsx({name: table(rows) for name, rows in form.items()})


def test_a_kobotoolbox_form_without_settings_imports_with_old_type_spellings() -> None:
    with translation.override("en"):
        parsed = read_xlsform(file=kobo_form(), filename="Kundeservice 2026.xlsx")
    questionnaire = questionnaire_import_xlsform(
        file=kobo_form(), filename="Kundeservice 2026.xlsx"
    )
    assert questionnaire.title == "kundeservice-2026"  # pyxform's fallback: the file's name
    types = dict(Question.objects.exclude(relevant={"any": []}).values_list("key", "type"))
    assert types == {
        "kontakt": "single_choice",
        "kanaler": "multiple_choice",
        "navn": "text",
        "alder": "number",
    }
    assert any(
        w.row == 2 and "“start” is not shown in web surveys" in w.message for w in parsed.warnings
    )
    assert any(w.row == 8 and "not shown in web surveys" in w.message for w in parsed.warnings)


def test_labels_in_other_languages_are_kept_and_exported_back() -> None:
    questionnaire = questionnaire_import_xlsform(file=kobo_form(), filename="f.xlsx")
    question = Question.objects.get(questionnaire=questionnaire, key="kontakt")
    assert question.text_en == "Did you contact customer service?"
    assert question.translations == {
        "label": {"Deutsch (de)": "Haben Sie den Kundendienst kontaktiert?"}
    }
    exported = questionnaire_export_xlsform(questionnaire=questionnaire)
    rows = list(load_workbook(io.BytesIO(exported))["survey"].iter_rows(values_only=True))
    by_name = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_name["kontakt"]["label::Deutsch (de)"] == "Haben Sie den Kundendienst kontaktiert?"
    choices = list(load_workbook(io.BytesIO(exported))["choices"].iter_rows(values_only=True))
    assert "Nein" in {row[choices[0].index("label::Deutsch (de)")] for row in choices[1:]}
    assert "Haben Sie" in convert(xlsform=exported, file_type=".xlsx").xform
    again = questionnaire_import_xlsform(file=io.BytesIO(exported), filename="f.xlsx")
    assert (
        questionnaire_spec(questionnaire=again)["sections"]
        == (questionnaire_spec(questionnaire=questionnaire)["sections"])
    )


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        (
            "kontakt.csv",
            b"survey,,,\n,type,name,label\n,text,navn,Navn\n,integer,alder,Alder\n",
        ),
        (
            "kontakt.md",
            b"| survey |         |       |       |\n"
            b"|        | type    | name  | label |\n"
            b"|        | text    | navn  | Navn  |\n"
            b"|        | integer | alder | Alder |\n",
        ),
    ],
)
def test_csv_and_markdown_forms_import(filename: str, content: bytes) -> None:
    questionnaire = questionnaire_import_xlsform(file=io.BytesIO(content), filename=filename)
    assert list(
        Question.objects.filter(questionnaire=questionnaire).values_list("key", flat=True)
    ) == ["navn", "alder"]


def test_nested_groups_become_sections_that_keep_the_outer_condition() -> None:
    survey = [
        {"type": "select_one yes_no", "name": "kontakt", "label": "Kontakt?"},
        {"type": "begin group", "name": "ytre", "label": "Ytre", "relevant": "${kontakt}='yes'"},
        {"type": "text", "name": "a", "label": "A"},
        {"type": "begin_group", "name": "indre", "label": "Indre"},
        {"type": "text", "name": "b", "label": "B"},
        {"type": "end_group"},
        {"type": "text", "name": "c", "label": "C"},
        {"type": "end group"},
    ]
    choices = [
        {"list_name": "yes_no", "name": "yes", "label": "Ja"},
        {"list_name": "yes_no", "name": "no", "label": "Nei"},
    ]
    form = xlsx({"survey": table(survey), "choices": table(choices)})
    questionnaire = questionnaire_import_xlsform(file=form, filename="f.xlsx")
    sections = list(questionnaire.sections.order_by("position"))
    assert [[q.key for q in s.questions.order_by("position")] for s in sections] == [
        ["kontakt"],
        ["a"],
        ["b"],
        ["c"],
    ]
    shown = {"q": "kontakt", "in": ["yes"]}
    assert [s.relevant for s in sections[1:]] == [shown, shown, shown]
    assert [s.title for s in sections[1:]] == ["Ytre", "Indre", "Ytre"]


def test_or_other_adds_the_other_choice_and_its_text_question() -> None:
    survey = [{"type": "select_one kanal or_other", "name": "kanal", "label": "Kanal?"}]
    choices = [
        {"list_name": "kanal", "name": "phone", "label": "Telefon"},
        {"list_name": "kanal", "name": "chat", "label": "Chat"},
    ]
    form = xlsx({"survey": table(survey), "choices": table(choices)})
    questionnaire = questionnaire_import_xlsform(file=form, filename="f.xlsx")
    kanal = Question.objects.get(questionnaire=questionnaire, key="kanal")
    assert [o.value for o in kanal.options.order_by("position")] == ["phone", "chat", "other"]
    other = Question.objects.get(questionnaire=questionnaire, key="kanal_other")
    assert other.type == "text"
    assert other.relevant == {"q": "kanal", "in": ["other"]}


def test_relevant_0_means_never_shown_and_survives_the_round_trip() -> None:
    survey = [
        {"type": "text", "name": "a", "label": "A"},
        {"type": "text", "name": "skjult", "label": "Skjult", "relevant": "0"},
    ]
    questionnaire = questionnaire_import_xlsform(
        file=xlsx({"survey": table(survey)}), filename="f.xlsx"
    )
    hidden = Question.objects.get(questionnaire=questionnaire, key="skjult")
    assert hidden.relevant == {"any": []}
    exported = questionnaire_export_xlsform(questionnaire=questionnaire)
    again = questionnaire_import_xlsform(file=io.BytesIO(exported), filename="f.xlsx")
    assert Question.objects.get(questionnaire=again, key="skjult").relevant == {"any": []}


def test_a_plain_label_beside_label_norsk_is_no_duplicate() -> None:
    survey = [{"type": "text", "name": "a", "label": "Fallback", "label::Norsk (nb)": "Navn"}]
    questionnaire = questionnaire_import_xlsform(
        file=xlsx({"survey": table(survey)}), filename="f.xlsx"
    )
    assert Question.objects.get(questionnaire=questionnaire, key="a").text == "Navn"


def test_default_language_english_puts_a_plain_label_in_english() -> None:
    survey = [{"type": "text", "name": "a", "label": "Name", "label::Norsk (nb)": "Navn"}]
    settings = [{"form_title": "Form", "default_language": "English (en)"}]
    form = xlsx({"survey": table(survey), "settings": table(settings)})
    question = Question.objects.get(
        questionnaire=questionnaire_import_xlsform(file=form, filename="f.xlsx"), key="a"
    )
    assert (question.text, question.text_en) == ("Navn", "Name")


def test_a_search_appearance_does_not_turn_placeholders_into_options() -> None:
    survey = [
        {"type": "text", "name": "a", "label": "A"},
        {
            "type": "select_one towns",
            "name": "town",
            "label": "By",
            "appearance": "search('towns')",
        },
    ]
    choices = [{"list_name": "towns", "name": "name_key", "label": "name"}]
    form = xlsx({"survey": table(survey), "choices": table(choices)})
    with translation.override("en"):
        parsed = read_xlsform(file=form, filename="f.xlsx")
    shown = [
        q["key"]
        for s in parsed.spec["sections"]
        for q in s["questions"]
        if q["relevant"] != {"any": []}
    ]
    assert shown == ["a"]
    assert any(w.row == 3 and "not shown in web surveys" in w.message for w in parsed.warnings)


@pytest.mark.parametrize("code", ['=HYPERLINK("http://x";"y")', "+1", "-1", "@SUM(A1)"])
def test_choice_codes_a_spreadsheet_would_run_are_refused(code: str) -> None:
    # As text in a CSV form: an XLSX cell starting with = would be a formula, not a code.
    quoted = code.replace('"', '""')
    form = io.BytesIO(
        (
            "survey,,,\n,type,name,label\n,select_one l,a,A\n"
            f'choices,,,\n,list_name,name,label\n,l,ok,OK\n,l,"{quoted}",Farlig\n'
        ).encode()
    )
    with translation.override("en"), pytest.raises(ImportRejected) as caught:
        questionnaire_import_xlsform(file=form, filename="f.csv")
    errors = caught.value.row_errors
    assert [(e.sheet, e.row) for e in errors] == [("choices", 3)]  # type: ignore[attr-defined]
    assert "which spreadsheets run as a formula" in errors[0].message
    assert not Questionnaire.objects.exists()


@pytest.mark.timeout(20)
def test_a_libreoffice_workbook_declaring_a_huge_sheet_imports() -> None:
    form = xlsx_with(
        {"survey": [["type", "name", "label"], ["text", "a", "A"]]},
        dimension="A1:XFD1048576",
        empty_rows=1_000_000,  # LibreOffice writes a formatted row down to the sheet's end
    )
    questionnaire = questionnaire_import_xlsform(file=io.BytesIO(form), filename="f.xlsx")
    assert questionnaire.questions.count() == 1


def test_a_small_workbook_expanding_to_two_million_rows_is_refused() -> None:
    rows = [["type", "name", "label"]] + [["text", f"q{i}", "Q"] for i in range(6000)]
    with translation.override("en"), pytest.raises(DomainError) as caught:
        questionnaire_import_xlsform(
            file=io.BytesIO(xlsx_with({"survey": rows})), filename="f.xlsx"
        )
    assert caught.value.code == "too_many_rows"


def test_a_form_pyxform_refuses_is_refused_with_its_message_on_its_row() -> None:
    survey = [
        {"type": "text", "name": "a", "label": "A ${nobody}"},
    ]
    with translation.override("en"), pytest.raises(ImportRejected) as caught:
        questionnaire_import_xlsform(file=xlsx({"survey": table(survey)}), filename="f.xlsx")
    error = caught.value.row_errors[0]
    assert "pyxform, the reference XLSForm converter, refuses the form" in error.message
    assert "nobody" in error.message
