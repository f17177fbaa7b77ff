"""Derived indicators' conditions: what staff may write, and what a response meets."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from surveys.branching import NA
from surveys.indicators import MAX_DEPTH, QuestionFacts, describe, holds, involved, validate

QUESTIONS = {
    "valued": QuestionFacts("valued", "yes_no", frozenset({"yes", "no"}), label="Verdsatt?"),
    "would_buy": QuestionFacts("would_buy", "yes_no", frozenset({"yes", "no"})),
    "satisfaction": QuestionFacts("satisfaction", "rating", scale=(1, 6)),
    "tried": QuestionFacts("tried", "multiple_choice", frozenset({"faq", "chat", "phone"})),
    "comment": QuestionFacts("comment", "text"),
}
NO_TO_BOTH = {"all": [{"q": "valued", "in": ["no"]}, {"q": "would_buy", "in": ["no"]}]}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("condition", "answers", "expected"),
    [
        (NO_TO_BOTH, {"valued": "no", "would_buy": "no"}, True),
        (NO_TO_BOTH, {"valued": "no", "would_buy": NA}, False),
        (NO_TO_BOTH, {"valued": "no"}, False),
        ({"q": "satisfaction", "min": 6}, {"satisfaction": 6}, True),
        ({"q": "satisfaction", "min": 6}, {"satisfaction": 5.0}, False),
        ({"q": "satisfaction", "min": 2, "max": 4}, {"satisfaction": 4}, True),
        ({"q": "tried", "has": "chat"}, {"tried": ["faq", "chat"]}, True),
        ({"q": "tried", "in": ["phone", "faq"]}, {"tried": ["faq"]}, True),
        ({"q": "would_buy", "answered": False}, {"would_buy": NA}, True),
        ({"q": "would_buy", "answered": True}, {"would_buy": "no"}, True),
        ({"not": {"q": "valued", "in": ["yes"]}}, {}, True),
        ({"any": [{"q": "valued", "in": ["yes"]}, {"q": "satisfaction", "max": 1}]}, {}, False),
    ],
)
def test_what_a_response_meets(condition: Any, answers: dict[str, Any], expected: bool) -> None:
    assert validate(condition, QUESTIONS) == []
    assert holds(condition, answers) is expected


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ({"q": "nope", "in": ["x"]}, "no question nope"),
        ({"q": "valued", "in": ["maybe"]}, "no option maybe"),
        ({"q": "valued", "in": []}, "one or more values"),
        ({"q": "comment", "min": 1}, "number or scale"),
        ({"q": "satisfaction", "min": 7}, "outside its scale"),
        ({"q": "satisfaction", "min": 5, "max": 2}, "min is above max"),
        ({"q": "valued", "has": "no"}, "multiple-choice"),
        ({"q": "valued", "in": ["no"], "answered": True}, "test one thing"),
        ({"q": "valued", "answered": "yes"}, "true or false"),
        ({"all": []}, "one or more conditions"),
        ({"all": [NO_TO_BOTH], "any": [NO_TO_BOTH]}, "one of all, any or not"),
        ("valued = no", "must be an object"),
    ],
)
def test_mistakes_are_named(condition: Any, problem: str) -> None:
    problems = validate(condition, QUESTIONS)
    assert any(problem in p for p in problems), problems


def test_a_crafted_deep_condition_is_refused_without_walking_it() -> None:
    deep: Any = {"q": "valued", "in": ["no"]}
    for _ in range(10_000):
        deep = {"not": deep}
    problems = validate(deep, QUESTIONS)
    assert problems == ["The condition nests too deeply."]
    assert MAX_DEPTH < 10_000


def test_every_problem_is_listed_at_once() -> None:
    problems = validate(
        {"all": [{"q": "nope", "in": ["x"]}, {"q": "valued", "in": ["maybe"]}]}, QUESTIONS
    )
    assert len(problems) == 2


def test_involved_questions_and_words() -> None:
    assert involved({"any": [NO_TO_BOTH, {"q": "valued", "answered": True}]}) == [
        "valued",
        "would_buy",
    ]
    assert describe(NO_TO_BOTH, QUESTIONS) == "«Verdsatt?» is no and would_buy is no"
