"""Branching conditions and answer cleaning: the rules the respondent flow relies on."""

import pytest
from django.utils import translation

from surveys.answers import AnswerError, OptionInfo, QuestionInfo, clean, score_0_100
from surveys.branching import NA, ConditionError, is_shown, referenced_questions

RESOLVED_NOT_YES = {"q": "resolved", "in": ["partly", "no"]}


@pytest.mark.parametrize(
    ("condition", "answers", "shown"),
    [
        (None, {}, True),
        (RESOLVED_NOT_YES, {"resolved": "no"}, True),
        (RESOLVED_NOT_YES, {"resolved": "yes"}, False),
        (RESOLVED_NOT_YES, {}, False),
        (RESOLVED_NOT_YES, {"resolved": NA}, False),
        ({"q": "channels", "has": "chat"}, {"channels": ["phone", "chat"]}, True),
        ({"q": "channels", "has": "chat"}, {"channels": ["phone"]}, False),
        ({"q": "score", "in": ["5", "6"]}, {"score": 5}, True),
        ({"all": [RESOLVED_NOT_YES, {"q": "x", "in": ["1"]}]}, {"resolved": "no", "x": "1"}, True),
        ({"all": [RESOLVED_NOT_YES, {"q": "x", "in": ["1"]}]}, {"resolved": "no", "x": "2"}, False),
        ({"any": [RESOLVED_NOT_YES, {"q": "x", "in": ["1"]}]}, {"resolved": "yes", "x": "1"}, True),
        ({"not": RESOLVED_NOT_YES}, {"resolved": "yes"}, True),
    ],
)
def test_conditions(condition: object, answers: dict[str, object], shown: bool) -> None:
    assert is_shown(condition, answers) is shown


@pytest.mark.parametrize(
    "bad", [[], "q", {"q": "a"}, {"in": ["x"]}, {"all": "x"}, {"q": 1, "in": []}]
)
def test_malformed_conditions_are_refused(bad: object) -> None:
    with pytest.raises(ConditionError):
        referenced_questions(bad)


def test_referenced_questions_walks_combinators() -> None:
    condition = {"all": [RESOLVED_NOT_YES, {"not": {"q": "b", "has": "x"}}]}
    assert referenced_questions(condition) == {"resolved", "b"}


RATING = QuestionInfo(key="sat", type="rating", scale_min=1, scale_max=6)
NPS = QuestionInfo(key="nps", type="nps")
CHOICE = QuestionInfo(
    key="c",
    type="single_choice",
    allow_na=True,
    scored=True,
    options=(
        OptionInfo("good", "Bra", 2),
        OptionInfo("ok", "OK", 1),
        OptionInfo("bad", "Dårlig", 0),
    ),
)


@pytest.mark.parametrize(
    ("question", "raw", "value"),
    [
        (RATING, ["6"], 6),
        (RATING, [" 3 "], 3),
        (NPS, ["0"], 0),
        (CHOICE, ["ok"], "ok"),
        (CHOICE, [NA], NA),
        (CHOICE, [""], None),
        (QuestionInfo(key="n", type="duration"), ["4,5"], 4.5),
        (QuestionInfo(key="d", type="datetime"), ["2026-03-14T10:30"], "2026-03-14T10:30"),
        (
            QuestionInfo(
                key="m",
                type="multiple_choice",
                options=(OptionInfo("a", "A"), OptionInfo("b", "B")),
            ),
            ["b", "a", "b"],
            ["a", "b"],
        ),
    ],
)
def test_clean_accepts(question: QuestionInfo, raw: list[str], value: object) -> None:
    assert clean(question, raw) == value


@pytest.mark.parametrize(
    ("question", "raw", "message"),
    [
        (RATING, ["7"], "Choose a whole number from 1 to 6."),
        (RATING, ["2.5"], "Choose a whole number from 1 to 6."),
        (NPS, ["11"], "Choose a whole number from 0 to 10."),
        (CHOICE, ["great"], "Choose one of the options shown."),
        (CHOICE, ["ok", "bad"], "Give one answer."),
        (QuestionInfo(key="n", type="number"), ["mange"], "Enter a number."),
        (QuestionInfo(key="n", type="number"), ["nan"], "Enter a number."),
        (QuestionInfo(key="n", type="number"), ["-1"], "Enter zero or more."),
        (
            QuestionInfo(key="d", type="datetime"),
            ["i går"],
            "Enter a date and time, e.g. 2026-03-14 10:30.",
        ),
        (
            QuestionInfo(key="t", type="text"),
            ["x" * 5001],
            "Keep the answer under 5000 characters.",
        ),
    ],
)
def test_clean_refuses_with_a_message(question: QuestionInfo, raw: list[str], message: str) -> None:
    with translation.override("en"), pytest.raises(AnswerError) as caught:
        clean(question, raw)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("question", "value", "score"),
    [
        (RATING, 1, 0.0),
        (RATING, 6, 100.0),
        (RATING, 4, 60.0),  # (4 - 1) / 5 * 100, DOMAIN.md's 1–6 conversion
        (QuestionInfo(key="s", type="rating", scale_min=1, scale_max=10), 10, 100.0),
        (QuestionInfo(key="s", type="rating", scale_min=1, scale_max=10), 4, 100 / 3),  # (x-1)/9
        (NPS, 7, 70.0),
        (CHOICE, "good", 100.0),
        (CHOICE, "ok", 50.0),
        (CHOICE, "bad", 0.0),
        (CHOICE, NA, None),
    ],
)
def test_scores_on_the_0_100_scale(
    question: QuestionInfo, value: object, score: float | None
) -> None:
    assert score_0_100(question, value) == (pytest.approx(score) if score is not None else None)
