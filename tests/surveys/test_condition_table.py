"""The table of conditions the respondent's page must judge as the server does.

``is_shown`` (surveys/branching.py) answers every case here; the browser's copy
(surveys/static/surveys/conditions.js) answers the same table in the e2e test
tests/e2e/test_constraint_in_browser.py, so the two cannot drift apart.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from surveys.branching import ConditionError, is_shown

TABLE = json.loads((Path(__file__).parent / "condition_table.json").read_text(encoding="utf-8"))


def judged(condition: Any, answers: dict[str, Any]) -> bool | str:
    try:
        return is_shown(condition, answers)
    except ConditionError:
        return "error"


@pytest.mark.parametrize("row", TABLE, ids=[row["case"] for row in TABLE])
def test_the_server_judges_each_case_as_the_table_says(row: dict[str, Any]) -> None:
    assert judged(row["condition"], row["answers"]) == row["expected"]


def test_the_table_covers_every_form_of_condition_and_each_outcome() -> None:
    text = json.dumps([row["condition"] for row in TABLE])
    for form in ('"all"', '"any"', '"not"', '"in"', '"has"', '"cmp"'):
        assert form in text
    assert {row["expected"] for row in TABLE} == {True, False, "error"}
