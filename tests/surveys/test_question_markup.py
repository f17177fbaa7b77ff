"""A question's markup (surveys/question_markup.py), as the respondent's browser and a screen
reader get it: what was written is escaped, the answer given is chosen, an error is tied to its
field, every label names an input that exists."""

from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils import translation

from surveys.answers import OptionInfo, QuestionInfo
from surveys.branching import NA
from surveys.models import Question
from surveys.question_markup import question_html
from surveys.selectors import QuestionView
from surveys.templatetags.respond import input_id

HOSTILE = '<script>alert("x")</script>'
TYPES = [
    "note",
    "number",
    "duration",
    "datetime",
    "date",
    "time",
    "text",
    "company",
    "single_choice",
    "multiple_choice",
    "rating",
    "nps",
]


def view(kind: str, *, options: int = 3, **info: Any) -> QuestionView:
    question = Question(
        key="q_1",
        type=kind,
        text=f"Spørsmål {HOSTILE}",
        help_text=f"Hjelp {HOSTILE}",
        required=info.pop("required", True),
        scale_min=1 if kind == "rating" else None,
        scale_max=5 if kind == "rating" else None,
        scale_min_label=f"Dårlig {HOSTILE}" if kind == "rating" else "",
        scale_max_label="Bra" if kind == "rating" else "",
    )
    choices = tuple(
        OptionInfo(value=f"v{n}", label=f"Valg {n} {HOSTILE}") for n in range(1, options + 1)
    )
    return QuestionView(
        question=question,
        info=QuestionInfo(
            key="q_1",
            type=kind,
            required=question.required,
            scale_min=question.scale_min,
            scale_max=question.scale_max,
            options=choices,
            **info,
        ),
    )


class Elements(HTMLParser):
    """The elements of a fragment: their attributes, in order."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def having(self, **wanted: str) -> list[dict[str, str | None]]:
        return [
            attrs
            for _tag, attrs in self.elements
            if all(attrs.get(name.replace("_", "-")) == v for name, v in wanted.items())
        ]


@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("error", [None, f"Feil {HOSTILE}"])
def test_what_was_written_is_escaped_and_every_label_names_an_input(
    kind: str, error: str | None
) -> None:
    markup = str(
        question_html(
            view(kind, allow_na=kind != "note", options=20),
            None,
            error,
            {},
            raw=f"skrevet {HOSTILE}" if kind in {"number", "text"} else None,
        )
    )
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    parsed = Elements(markup)
    ids = [attrs["id"] for _tag, attrs in parsed.elements if attrs.get("id")]
    assert len(ids) == len(set(ids)), ids
    for _tag, attrs in parsed.elements:
        for pointer in ("for", "aria-describedby", "aria-controls"):
            for target in (attrs.get(pointer) or "").split():
                assert target in ids, (pointer, target)
    if error and kind != "note":
        assert "err-q_1" in ids
        assert parsed.having(aria_describedby="err-q_1") or any(
            "err-q_1" in (attrs.get("aria-describedby") or "") for _t, attrs in parsed.elements
        )


@pytest.mark.parametrize(
    ("kind", "value", "chosen"),
    [
        ("single_choice", "v2", ["in-q_1-2"]),
        ("multiple_choice", ["v1", "v3"], ["in-q_1-1", "in-q_1-3"]),
        ("rating", 3.0, ["in-q_1-3"]),
        ("nps", 10, ["in-q_1-10"]),
        ("single_choice", NA, ["in-q_1-na"]),
        ("number", NA, ["in-q_1-na"]),
    ],
)
def test_the_answer_given_is_the_one_chosen(kind: str, value: Any, chosen: list[str]) -> None:
    parsed = Elements(str(question_html(view(kind, allow_na=True), value, None, {})))
    inputs = [attrs for tag, attrs in parsed.elements if tag == "input"]
    checked = [attrs["id"] for attrs in inputs if "checked" in attrs]
    assert checked == chosen


def test_the_company_picker_keeps_the_company_chosen_or_the_name_written() -> None:
    listed = Elements(str(question_html(view("company"), "v2", None, {})))
    assert [a["value"] for t, a in listed.elements if t == "option" and "selected" in a] == ["v2"]
    other = Elements(str(question_html(view("company"), "__other__:Firma <AS>", None, {})))
    assert [a["value"] for t, a in other.elements if t == "option" and "selected" in a] == [
        "__other__"
    ]
    assert other.having(id="in-q_1-other")[0]["value"] == "Firma <AS>"
    # A long list gets the search box; a short one does not.
    assert listed.having(id="in-q_1-search") == []
    assert Elements(str(question_html(view("company", options=16), None, None, {}))).having(
        id="in-q_1-search"
    )


def test_a_number_is_shown_as_the_respondent_types_it_in_their_language() -> None:
    with translation.override("nb"):
        parsed = Elements(str(question_html(view("number"), 1.5, None, {})))
    assert parsed.having(id="in-q_1")[0]["value"] == "1,5"
    with translation.override("en"):
        parsed = Elements(str(question_html(view("number"), 1.5, None, {})))
    assert parsed.having(id="in-q_1")[0]["value"] == "1.5"


def test_a_label_shows_the_answer_it_pipes_and_the_page_knows_it_depends_on_it() -> None:
    piping = view("text")
    piping.question.text = "Hva sa ${name}?"
    markup = str(question_html(piping, None, None, {"name": "Ola <N>"}))
    assert "Hva sa Ola &lt;N&gt;?" in markup
    shown = Elements(markup).having(id="q-q_1")[0]["data-shown"]
    assert shown == f"v1 v2 v3|Hva sa Ola <N>?|Hjelp {HOSTILE}"


@pytest.mark.parametrize("kind", ["date", "time", "datetime", "number", "text", "company"])
def test_the_error_summary_links_to_the_input_that_exists(kind: str) -> None:
    """A date or time question's error linked to ``in-<key>-na``, which is not on the page."""
    question = view(kind)
    parsed = Elements(str(question_html(question, None, "x", {})))
    ids = [a["id"] for _t, a in parsed.elements if a.get("id")]
    assert input_id(question) in ids
