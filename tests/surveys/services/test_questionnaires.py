"""Questionnaire specifications are checked whole, with messages naming what is wrong."""

import copy
from typing import Any

import pytest
from django.utils import translation

from kundeservice.errors import DomainError
from surveys.models import Option, Question, Questionnaire
from surveys.services.questionnaires import questionnaire_create
from surveys.specs import KSINDEKS

pytestmark = pytest.mark.django_db


def spec_with(change: Any) -> dict[str, Any]:
    spec = copy.deepcopy(KSINDEKS)
    change(spec)
    return spec


def first_question(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["sections"][0]["questions"][0]


def test_ksindeks_spec_builds_and_a_second_import_is_version_two() -> None:
    first = questionnaire_create(spec=copy.deepcopy(KSINDEKS))
    assert first.version == 1
    assert Question.objects.filter(questionnaire=first).count() == 11
    assert Option.objects.filter(question__key="contacted_cs").count() == 2
    second = questionnaire_create(spec=copy.deepcopy(KSINDEKS))
    assert (second.version, second.previous_version) == (2, first)


BAD_SPECS = {
    "no sections": (lambda s: s.update(sections=[]), "at least one section"),
    "section key twice": (lambda s: s["sections"][1].update(key="screening"), "used twice"),
    "variable name twice": (
        lambda s: s["sections"][1]["questions"][0].update(key="contacted_cs"),
        "used twice",
    ),
    "bad variable name": (lambda s: first_question(s).update(key="1abc"), "starts with a letter"),
    "unknown type": (lambda s: first_question(s).update(type="slider"), "unknown type"),
    "missing text": (lambda s: first_question(s).update(text=""), "text is missing"),
    "bad scale": (lambda s: s["sections"][2]["questions"][0].update(scale=[0, 4]), "1–5, 1–6"),
    "one option": (
        lambda s: s["sections"][2]["questions"][1].update(options=[{"value": "a", "label": "A"}]),
        "two options",
    ),
    "scored without zero": (
        lambda s: first_question(s).update(
            scored=True,
            options=[
                {"value": "y", "label": "Y", "points": 1},
                {"value": "n", "label": "N", "points": 2},
            ],
        ),
        "0-point",
    ),
    "condition on later question": (
        lambda s: first_question(s).update(relevant={"q": "nps", "in": ["9"]}),
        "not an earlier question",
    ),
    "unreadable condition": (
        lambda s: first_question(s).update(relevant={"q": "x"}),
        "cannot be read",
    ),
    "negative weight": (lambda s: first_question(s).update(weight=-1), "from 0 to 10 000"),
    "scored CX item": (
        lambda s: first_question(s).update(
            role="cx",
            scored=True,
            options=[
                {"value": "y", "label": "Y", "points": 1},
                {"value": "n", "label": "N", "points": 0},
            ],
        ),
        "never scored",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_bad_specs_are_refused_whole(case: str) -> None:
    change, expected = BAD_SPECS[case]
    with translation.override("en"), pytest.raises(DomainError) as caught:
        questionnaire_create(spec=spec_with(change))
    assert any(expected in m for m in caught.value.messages), caught.value.messages
    assert not Questionnaire.objects.exists()


def test_the_largest_weight_and_points_the_readme_allows_are_stored() -> None:
    def heavy(spec: dict[str, Any]) -> None:
        spec["sections"][0]["weight"] = 10_000
        first_question(spec)["weight"] = 10_000

    questionnaire = questionnaire_create(spec=spec_with(heavy))
    section = questionnaire.sections.order_by("position").first()
    assert section is not None
    assert section.weight == 10_000
    assert Question.objects.filter(questionnaire=questionnaire, weight=10_000).exists()


def test_points_with_more_decimals_than_stored_are_refused_not_rounded_to_zero() -> None:
    def tiny_points(spec: dict[str, Any]) -> None:
        question = next(q for s in spec["sections"] for q in s["questions"] if q.get("options"))
        question["options"][0]["points"] = "0.0004"

    with translation.override("en"), pytest.raises(DomainError) as caught:
        questionnaire_create(spec=spec_with(tiny_points))
    assert any("at most three decimals" in m for m in caught.value.messages)
    assert not Option.objects.exists()
