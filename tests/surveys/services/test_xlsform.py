"""XLSForm import and export: round trips, a KoboToolbox-style form, and every kind of bad form
rejected by sheet, row and column with nothing written."""

import copy
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert

from kundeservice.errors import DomainError, ImportRejected
from surveys import specs
from surveys.branching import is_shown
from surveys.models import Option, Question, Questionnaire, Section
from surveys.services.questionnaires import questionnaire_create
from surveys.services.xlsform import (
    questionnaire_export_xlsform,
    questionnaire_import_xlsform,
    questionnaire_spec,
)
from tests.surveys.xlsforms import Form, build, change_row, xlsx

pytestmark = pytest.mark.django_db

#: Every type, branching form and extension column the conversion knows.
EVERYTHING: dict[str, Any] = {
    "slug": "alt-i-ett",
    "kind": "evaluation",
    "title": "Alt i ett",
    "title_en": "Everything",
    "intro": "Takk for at du svarer.",
    "intro_en": "Thank you for answering.",
    "sections": [
        {
            "key": "start",
            "title": "Start",
            "description": "Om kontakten",
            "description_en": "About the contact",
            "weight": Decimal("0.5"),
            "questions": [
                {"key": "contacted", "type": "yes_no", "role": "screening", "text": "Kontakt?"},
                {"key": "company", "type": "company", "role": "company", "text": "Hvem?"},
                {"key": "channel", "type": "channel", "role": "channel", "text": "Hvordan?"},
                {
                    "key": "reasons",
                    "type": "multiple_choice",
                    "text": "Hvorfor?",
                    "text_en": "Why?",
                    "help": "Velg alle som passer",
                    "help_en": "Choose all that apply",
                    "required": False,
                    "options": [
                        {"value": "bill", "label": "Faktura", "label_en": "Bill"},
                        {"value": "fault", "label": "Feil", "label_en": "Fault"},
                        {"value": "other", "label": "Annet", "label_en": "Other"},
                    ],
                    "relevant": {"q": "contacted", "in": ["yes"]},
                },
            ],
        },
        {
            "key": "score",
            "title": "Vurdering",
            "title_en": "Assessment",
            "weight": 2,
            "relevant": {
                "all": [
                    {"q": "contacted", "in": ["yes"]},
                    {
                        "any": [
                            {"q": "channel", "in": ["phone", "chat"]},
                            {"q": "reasons", "in": ["fault"]},
                        ]
                    },
                ]
            },
            "questions": [
                {
                    "key": "greeting",
                    "type": "single_choice",
                    "scored": True,
                    "weight": Decimal("1.5"),
                    "allow_na": True,
                    "text": "Hilste kundebehandleren?",
                    "options": [
                        {"value": "yes", "label": "Ja", "points": 2},
                        {"value": "partly", "label": "Delvis", "points": Decimal("0.5")},
                        {"value": "no", "label": "Nei", "points": 0},
                    ],
                },
                {
                    "key": "valued",
                    "type": "single_choice",
                    "scored": True,
                    "text": "Følte du deg verdsatt?",
                    "options": [
                        {"value": "yes", "label": "Ja", "points": 2},
                        {"value": "partly", "label": "Delvis", "points": Decimal("0.5")},
                        {"value": "no", "label": "Nei", "points": 0},
                    ],
                    "relevant": {"not": {"q": "greeting", "in": ["no"]}},
                },
                {
                    "key": "csat",
                    "type": "rating",
                    "scale": [1, 5],
                    "role": "cx",
                    "text": "Hvor fornøyd?",
                    "scale_labels": {"min": "Lite", "max": "Svært", "max_en": "Very"},
                },
                {"key": "nps", "type": "nps", "role": "nps", "text": "Anbefale?"},
                {
                    "key": "why_low",
                    "type": "text",
                    "required": False,
                    "text": "Hvorfor så lavt?",
                    "relevant": {
                        "any": [{"q": "nps", "in": ["0", "1", "2"]}, {"q": "csat", "in": ["1"]}]
                    },
                },
                {"key": "wait", "type": "duration", "role": "wait_time", "text": "Ventetid?"},
                {"key": "cost", "type": "number", "required": False, "text": "Kostnad?"},
                {"key": "when", "type": "datetime", "text": "Når?"},
            ],
        },
    ],
}


def all_specs() -> list[dict[str, Any]]:
    found = [v for v in vars(specs).values() if isinstance(v, dict) and "sections" in v]
    return [*found, EVERYTHING]


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Questionnaire, Section, Question, Option))


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s["slug"])
def test_export_then_import_gives_the_same_questionnaire(spec: dict[str, Any]) -> None:
    original = questionnaire_create(spec=copy.deepcopy(spec))
    data = questionnaire_export_xlsform(questionnaire=original)
    again = questionnaire_import_xlsform(file=io.BytesIO(data), filename="form.xlsx")
    assert (again.slug, again.version) == (original.slug, 2)
    assert questionnaire_spec(questionnaire=again) == questionnaire_spec(questionnaire=original)


def test_the_export_is_an_xlsform_that_odk_and_kobotoolbox_accept(tmp_path: Any) -> None:
    questionnaire = questionnaire_create(spec=copy.deepcopy(EVERYTHING))
    path = tmp_path / "everything.xlsx"
    path.write_bytes(questionnaire_export_xlsform(questionnaire=questionnaire))
    xform = convert(xlsform=str(path), validate=False).xform
    assert "<h:title>Alt i ett</h:title>" in xform
    assert "selected( /data/start/reasons , 'fault')" in xform
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    rows = list(workbook["survey"].iter_rows(values_only=True))
    by_name = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_name["nps"]["parameters"] == "start=0 end=10 step=1"
    assert by_name["wait"]["type"] == "integer"
    assert by_name["wait"]["appearance"] == "duration"
    assert by_name["contacted"]["type"] == "select_one yes_no"
    assert by_name["valued"]["type"] == "select_one greeting"  # same options, one list
    assert by_name["valued"]["relevant"] == "${greeting} != 'no'"
    assert by_name["score"]["relevant"] == (
        "${contacted} = 'yes' and (${channel} = 'phone' or ${channel} = 'chat' or "
        "selected(${reasons}, 'fault'))"
    )


def test_a_multiple_choice_has_condition_comes_back_equivalent() -> None:
    spec = copy.deepcopy(EVERYTHING)
    spec["sections"][1]["relevant"] = {
        "any": [{"q": "reasons", "has": "bill"}, {"q": "reasons", "has": "fault"}]
    }
    original = questionnaire_create(spec=spec)
    data = questionnaire_export_xlsform(questionnaire=original)
    again = questionnaire_import_xlsform(file=io.BytesIO(data), filename="form.xlsx")
    condition = Section.objects.get(questionnaire=again, key="score").relevant
    assert condition == {"q": "reasons", "in": ["bill", "fault"]}
    for answer in (["bill"], ["other", "fault"], ["other"], None):
        before = is_shown(spec["sections"][1]["relevant"], {"reasons": answer})
        assert is_shown(condition, {"reasons": answer}) == before


KOBO_SURVEY = [
    [
        "type",
        "name",
        "label::Norsk (nb)",
        "label::English (en)",
        "hint::English (en)",
        "required",
        "relevant",
        "appearance",
        "parameters",
        "$kuid",
        "$autoname",
    ],
    ["start", "start", None, None, None, None, None, None, None, "a1", "start"],
    ["end", "end", None, None, None, None, None, None, None, "a2", "end"],
    [
        "select_one yes_no",
        "contacted",
        "Har du kontaktet kundeservice de siste 14 dagene?",
        "Have you contacted customer service in the last 14 days?",
        None,
        "true",
        None,
        None,
        None,
        "a3",
        "contacted",
    ],
    [
        "begin_group",
        "contact",
        "Kontakten",
        "The contact",
        None,
        None,
        "${contacted} = 'yes'",
        "field-list",
        None,
        "a4",
        "contact",
    ],
    [
        "select_multiple channels",
        "channels",
        "Hvilke kanaler brukte du?",
        "Which channels did you use?",
        "Select all that apply",
        "true",
        None,
        "minimal",
        None,
        "a5",
        "channels",
    ],
    [
        "select_one resolved",
        "resolved",
        "Ble saken løst?",
        "Was it resolved?",
        None,
        "true",
        "selected(${channels}, 'phone') or selected(${channels}, 'chat')",
        None,
        None,
        "a6",
        "resolved",
    ],
    [
        "range",
        "satisfaction",
        "Hvor fornøyd var du?",
        "How satisfied were you?",
        None,
        "true",
        None,
        "likert",
        "start=1 end=6 step=1",
        "a7",
        "satisfaction",
    ],
    [
        "integer",
        "tries",
        "Hvor mange ganger tok du kontakt?",
        "How many times?",
        None,
        "false",
        "${resolved} != 'yes'",
        None,
        None,
        "a8",
        "tries",
    ],
    ["end_group", None, None, None, None, None, None, None, None, "a9", None],
    [
        "range",
        "recommend",
        "Vil du anbefale dem?",
        "Would you recommend them?",
        None,
        "true",
        "${satisfaction} >= 4 and not(${resolved} = 'no')",
        None,
        "start=0 end=10",
        "b1",
        "recommend",
    ],
    [
        "text",
        "comment",
        "Noe mer?",
        "Anything else?",
        None,
        "false",
        None,
        "multiline",
        None,
        "b2",
        "comment",
    ],
    [
        "dateTime",
        "when",
        "Når var kontakten?",
        "When was it?",
        None,
        None,
        None,
        None,
        None,
        "b3",
        "when",
    ],
]
KOBO_CHOICES = [
    ["list_name", "name", "label::Norsk (nb)", "label::English (en)", "$kuid", "$autovalue"],
    ["yes_no", "yes", "Ja", "Yes", "c1", "yes"],
    ["yes_no", "no", "Nei", "No", "c2", "no"],
    ["channels", "phone", "Telefon", "Phone", "c3", "phone"],
    ["channels", "chat", "Chat", "Chat", "c4", "chat"],
    ["channels", "email", "E-post", "E-mail", "c5", "email"],
    ["resolved", "yes", "Ja", "Yes", "c6", "yes"],
    ["resolved", "partly", "Delvis", "Partly", "c7", "partly"],
    ["resolved", "no", "Nei", "No", "c8", "no"],
]
KOBO_SETTINGS = [
    ["form_title", "form_id", "version", "default_language", "style"],
    ["Kundeservice 2026", "ks_2026", "vW2x", "Norsk (nb)", "pages"],
]


def test_a_kobotoolbox_form_imports(tmp_path: Any) -> None:
    kobo = xlsx({"survey": KOBO_SURVEY, "choices": KOBO_CHOICES, "settings": KOBO_SETTINGS})
    (tmp_path / "kobo.xlsx").write_bytes(kobo.getvalue())
    convert(xlsform=str(tmp_path / "kobo.xlsx"), validate=False)  # a valid XLSForm for ODK

    questionnaire = questionnaire_import_xlsform(file=kobo, filename="kobo.xlsx")
    assert (questionnaire.slug, questionnaire.title) == ("ks_2026", "Kundeservice 2026")
    sections = list(questionnaire.sections.order_by("position"))
    assert [s.key for s in sections] == ["section_1", "contact", "section_3"]
    assert sections[0].title == "Kundeservice 2026"  # questions outside groups
    assert sections[1].relevant == {"q": "contacted", "in": ["yes"]}
    everything = list(questionnaire.questions.all())
    # Metadata rows are kept to export back, never shown.
    assert [q.key for q in everything if q.relevant == {"any": []}] == ["start", "end"]
    questions = {q.key: q for q in everything if q.relevant != {"any": []}}
    assert list(questions) == [
        "contacted",
        "channels",
        "resolved",
        "satisfaction",
        "tries",
        "recommend",
        "comment",
        "when",
    ]
    assert [(q.key, q.type) for q in questions.values()] == [
        ("contacted", "yes_no"),
        ("channels", "multiple_choice"),
        ("resolved", "single_choice"),
        ("satisfaction", "rating"),
        ("tries", "number"),
        ("recommend", "nps"),
        ("comment", "text"),
        ("when", "datetime"),
    ]
    assert (questions["satisfaction"].scale_min, questions["satisfaction"].scale_max) == (1, 6)
    assert questions["channels"].help_text_en == "Select all that apply"
    assert questions["contacted"].text_en.startswith("Have you contacted")
    assert questions["contacted"].required
    assert not questions["tries"].required
    assert not questions["when"].required  # blank is "no" in XLSForm
    assert questions["resolved"].relevant == {"q": "channels", "in": ["phone", "chat"]}
    assert questions["tries"].relevant == {"not": {"q": "resolved", "in": ["yes"]}}
    assert questions["recommend"].relevant == {
        "all": [
            {"q": "satisfaction", "in": ["4", "5", "6"]},
            {"not": {"q": "resolved", "in": ["no"]}},
        ]
    }
    assert list(questions["resolved"].options.values_list("value", "label_en")) == [
        ("yes", "Yes"),
        ("partly", "Partly"),
        ("no", "No"),
    ]


@pytest.mark.parametrize(
    ("expression", "condition"),
    [
        ("${ch} = 'phone'", {"q": "ch", "in": ["phone"]}),
        ("'phone' = ${ch}", {"q": "ch", "in": ["phone"]}),
        ('${ch} != "chat"', {"not": {"q": "ch", "in": ["chat"]}}),
        ("selected(${many}, 'b')", {"q": "many", "in": ["b"]}),
        ("not(selected(${many}, 'b'))", {"not": {"q": "many", "in": ["b"]}}),
        ("${ch} = 'phone' or ${ch} = 'chat'", {"q": "ch", "in": ["phone", "chat"]}),
        ("${sat} > 4", {"q": "sat", "in": ["5", "6"]}),
        ("3 >= ${sat}", {"q": "sat", "in": ["1", "2", "3"]}),
        ("${sat} = 6.0", {"q": "sat", "in": ["6"]}),
        ("${n} <= 6", {"q": "n", "in": [str(v) for v in range(7)]}),
        (
            "${ch} = 'phone' and (selected(${many}, 'a') or ${sat} = '1')",
            {
                "all": [
                    {"q": "ch", "in": ["phone"]},
                    {"any": [{"q": "many", "in": ["a"]}, {"q": "sat", "in": ["1"]}]},
                ]
            },
        ),
        (
            "${ch} = 'phone' and selected(${many}, 'a') or ${sat} = 1",
            {
                "any": [
                    {"all": [{"q": "ch", "in": ["phone"]}, {"q": "many", "in": ["a"]}]},
                    {"q": "sat", "in": ["1"]},
                ]
            },
        ),
    ],
)
def test_relevant_expressions_become_conditions(expression: str, condition: Any) -> None:
    survey = [
        ["type", "name", "label", "parameters", "relevant"],
        ["select_one_from_file channels.csv", "ch", "Kanal", None, None],
        ["select_multiple abc", "many", "Flere", None, None],
        ["range", "sat", "Fornøyd", "start=1 end=6", None],
        ["range", "n", "NPS", "start=0 end=10", None],
        ["text", "last", "Sist", None, expression],
    ]
    choices = [["list_name", "name", "label"], ["abc", "a", "A"], ["abc", "b", "B"]]
    form = xlsx({"survey": survey, "choices": choices, "settings": [["form_title"], ["Test"]]})
    questionnaire = questionnaire_import_xlsform(file=form, filename="f.xlsx")
    assert questionnaire.questions.get(key="last").relevant == condition


def scored_without_zero(form: Form) -> None:
    form["survey"][2].update(type="select_one channels", scored="yes")
    form["choices"][2]["points"] = 1
    form["choices"][3]["points"] = 2


# Each: how to spoil the base form → (sheet, row, column, words of the message).
BAD_FORMS: dict[str, tuple[Callable[[Form], None], tuple[str, int, str, str]]] = {
    "unknown type": (
        change_row("survey", 3, type="slider"),
        ("survey", 5, "type", "The type “slider” is not an XLSForm type"),
    ),
    "repeat": (
        lambda form: (
            form["survey"][0].update(type="begin_repeat"),
            form["survey"][-1].update(type="end_repeat"),
        ),
        ("survey", 2, "type", "Repeated groups"),
    ),
    "group never ended": (
        lambda form: form["survey"].pop(),
        ("survey", 2, "type", "The group main has no end_group"),
    ),
    "function in relevant": (
        change_row("survey", 3, relevant="string-length(${contacted}) > 0"),
        ("survey", 5, "relevant", "The function string-length() is not supported"),
    ),
    "arithmetic in relevant": (
        change_row("survey", 3, relevant="${contacted} + 1 = 2"),
        ("survey", 5, "relevant", "Arithmetic (+) is not supported"),
    ),
    "later question in relevant": (
        change_row("survey", 1, relevant="${comment} = 'x'"),
        ("survey", 3, "relevant", "${comment} is not an earlier question"),
    ),
    "unknown question in relevant": (
        change_row("survey", 3, relevant="${nobody} = 'x'"),
        ("survey", 5, "relevant", "There is no question named nobody"),
    ),
    "= on select_multiple": (
        change_row("survey", 3, relevant="${channels} = 'chat'"),
        ("survey", 5, "relevant", "use selected(${channels}, 'x')"),
    ),
    "value not a choice": (
        change_row("survey", 3, relevant="${contacted} = 'maybe'"),
        ("survey", 5, "relevant", "“maybe” is not a choice of ${contacted}"),
    ),
    "duplicate name": (
        change_row("survey", 3, name="contacted"),
        ("survey", 5, "name", "The name contacted is also used on row 3"),
    ),
    "bad name": (
        change_row("survey", 3, name="1.comment"),
        ("survey", 5, "name", "A question name starts with a letter"),
    ),
    "missing list": (
        change_row("survey", 2, type="select_multiple kanaler"),
        ("survey", 4, "type", "The list kanaler is not on the choices sheet"),
    ),
    "empty label": (
        change_row("survey", 3, **{"label::nb": ""}),
        ("survey", 5, "", "The survey element named 'comment' has no label or hint"),
    ),
    "unknown role": (
        change_row("survey", 3, role="boss"),
        ("survey", 5, "role", "Unknown role “boss”"),
    ),
    "bad required": (
        change_row("survey", 3, required="sometimes"),
        ("survey", 5, "required", "required must be yes or no"),
    ),
    "bad points": (
        change_row("choices", 2, points="many"),
        ("choices", 4, "points", "points must be a number from 0 to 10 000, not “many”"),
    ),
    "choice twice": (
        change_row("choices", 3, name="phone"),
        ("choices", 5, "name", "The list channels has the choice phone twice"),
    ),
    "choice without list": (
        change_row("choices", 3, list_name=None),
        ("choices", 5, "list_name", "The choice has no list_name"),
    ),
    "scored without a 0-point choice": (
        scored_without_zero,
        ("survey", 4, "", "a scored question needs a 0-point option"),
    ),
}


def test_the_base_form_of_the_bad_cases_is_good() -> None:
    assert questionnaire_import_xlsform(file=build(), filename="f.xlsx").slug == "skjema"


@pytest.mark.parametrize("case", sorted(BAD_FORMS))
def test_each_kind_of_bad_xlsform_is_named_and_nothing_changes(case: str) -> None:
    questionnaire_create(spec=copy.deepcopy(specs.KSINDEKS))
    before = counts()
    spoil, (sheet, row, column, words) = BAD_FORMS[case]
    with translation.override("en"), pytest.raises(ImportRejected) as caught:
        questionnaire_import_xlsform(file=build(spoil), filename="f.xlsx")
    found = [(e.sheet, e.row, e.column) for e in caught.value.row_errors]  # type: ignore[attr-defined]
    assert found == [(sheet, row, column)], caught.value.row_errors
    assert words in caught.value.row_errors[0].message
    assert "Nothing was imported" in caught.value.messages[0]
    assert counts() == before


def test_every_error_is_listed_not_only_the_first() -> None:
    def spoil(form: Form) -> None:
        form["survey"][1]["role"] = "boss"
        form["survey"][3]["relevant"] = "${x} = 1"
        form["choices"][0]["points"] = "-1"

    with translation.override("en"), pytest.raises(ImportRejected) as caught:
        questionnaire_import_xlsform(file=build(spoil), filename="f.xlsx")
    assert [(e.sheet, e.row) for e in caught.value.row_errors] == [  # type: ignore[attr-defined]
        ("survey", 3),
        ("survey", 5),
        ("choices", 2),
    ]


def empty_workbook() -> io.BytesIO:
    out = io.BytesIO()
    Workbook().save(out)
    out.seek(0)
    return out


BAD_FILES = {
    "not a workbook": (io.BytesIO(b"type,name\ntext,a\n"), "f.xlsx", "not a readable XLSForm"),
    "a csv file without rows": (io.BytesIO(b"type,name\n"), "f.csv", "not a readable XLSForm"),
    "a broken xls file": (io.BytesIO(b"\xd0\xcf\x11\xe0"), "f.xls", "not a readable XLSForm"),
    "a pdf": (io.BytesIO(b"%PDF-1.4"), "f.pdf", "Unsupported file type f.pdf"),
    "empty workbook": (empty_workbook(), "f.xlsx", "The survey sheet is empty"),
    "no survey sheet": (
        xlsx({"choices": [["list_name", "name", "label"]], "settings": [["form_title"], ["T"]]}),
        "f.xlsx",
        "The file has no sheet named survey",
    ),
    "empty survey sheet": (
        xlsx({"survey": [["type", "name", "label"]], "settings": [["form_title"], ["T"]]}),
        "f.xlsx",
        "The survey sheet is empty",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_files_that_are_no_xlsform_are_refused(case: str) -> None:
    file, filename, words = BAD_FILES[case]
    with translation.override("en"), pytest.raises(DomainError) as caught:
        questionnaire_import_xlsform(file=file, filename=filename)
    assert not isinstance(caught.value, ImportRejected)
    assert words in caught.value.messages[0]
    assert counts() == (0, 0, 0, 0)


def test_the_choices_sheet_may_be_missing_only_when_no_list_is_used() -> None:
    survey = [["type", "name", "label"], ["text", "a", "A"], ["select_one ja_nei", "b", "B"]]
    form = xlsx({"survey": survey, "settings": [["form_title"], ["T"]]})
    with translation.override("en"), pytest.raises(ImportRejected) as caught:
        questionnaire_import_xlsform(file=form, filename="f.xlsx")
    assert caught.value.row_errors[0].message == (
        "The workbook has no choices sheet, so the list ja_nei is missing."
    )
