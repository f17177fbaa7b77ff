"""The calculation evaluator against XPath 1.0 / ODK semantics, worked out by hand: each row is
an expression, the answers it reads, and the value ODK Collect would keep (as text)."""

import math
from typing import Any

import pytest

from surveys.branching import NA
from surveys.expressions import (
    ExpressionError,
    as_text,
    check_tree,
    columns_read,
    evaluate,
    parse_expression,
    references,
    to_xpath,
)

ANSWERS: dict[str, Any] = {
    "name": "Kari",
    "age": 42,
    "wait": 2.5,
    "empty_text": "",
    "channels": ["phone", "chat"],
    "company": "dnb",
    "na": NA,
}
LABELS = {("company", "dnb"): "DNB Bank", ("channels", "chat"): "Chat"}

CASES = [
    # references and literals
    ("${name}", "Kari"),
    ("${age}", "42"),
    ("${wait}", "2.5"),
    ("${unanswered}", ""),
    ("${na}", ""),  # not applicable reads as unanswered
    ("${channels}", "phone chat"),  # a select_multiple's codes, space-separated
    ("'it''s'", None),  # XPath has no escaped quote: refused (see test below)
    ("3", "3"),
    ("2.50", "2.5"),
    # arithmetic: numbers, NaN for what is not one
    ("${age} + 1", "43"),
    ("${age} - 50", "-8"),
    ("${wait} * 2", "5"),
    ("7 div 2", "3.5"),
    ("7 mod 3", "1"),
    ("-7 mod 3", "-1"),  # XPath mod truncates, like Java's %
    ("1 div 0", "Infinity"),
    ("0 div 0", "NaN"),
    ("${name} + 1", "NaN"),
    ("${unanswered} + 1", "NaN"),  # empty is not a number
    ("0.1 + 0.2", "0.30000000000000004"),  # IEEE doubles, as JavaRosa
    ("2 + 3 * 4", "14"),
    ("(2 + 3) * 4", "20"),
    ("10 - 4 - 3", "3"),  # left to right
    ("-${age}", "-42"),
    # comparisons
    ("${age} > 40", "true"),
    ("${age} >= 43", "false"),
    ("${age} = 42", "true"),  # number = text → compared as numbers
    ("${age} = '42.0'", "false"),  # text = text
    ("${wait} = 2.5", "true"),
    ("${name} = 'Kari'", "true"),
    ("${name} != 'Kari'", "false"),
    ("${unanswered} = ''", "true"),
    ("${unanswered} < 5", "false"),  # NaN compares false
    ("${name} = true()", "true"),  # with a boolean: non-empty text is true
    # logic
    ("${age} > 18 and ${name} = 'Kari'", "true"),
    ("${age} < 18 or ${name} = 'Ola'", "false"),
    ("not(${age} < 18)", "true"),
    ("${age} > 18 or 1 div 0 = 0 and false()", "true"),  # and binds tighter than or
    ("true()", "true"),
    ("false()", "false"),
    # functions
    ("if(${age} >= 18, 'adult', 'child')", "adult"),
    ("if(${unanswered}, 'yes', 'no')", "no"),
    ("concat('Hei ', ${name}, '!')", "Hei Kari!"),
    ("concat(${age}, ' år')", "42 år"),
    ("coalesce(${unanswered}, 'ukjent')", "ukjent"),
    ("coalesce(${name}, 'ukjent')", "Kari"),
    ("string-length(${name})", "4"),
    ("string-length(${unanswered})", "0"),
    ("round(${wait})", "3"),
    ("round(2.345, 2)", "2.35"),
    ("round(-2.5)", "-3"),  # ODK rounds half away from zero
    ("round(1234.5, -2)", "1200"),
    ("number('12')", "12"),
    ("number('12 kr')", "NaN"),
    ("number(true())", "1"),
    ("selected(${channels}, 'chat')", "true"),
    ("selected(${channels}, 'email')", "false"),
    ("selected(${company}, 'dnb')", "true"),
    ("count-selected(${channels})", "2"),
    ("count-selected(${unanswered})", "0"),
    ("jr:choice-name(${company}, '${company}')", "DNB Bank"),
    ("jr:choice-name(${unanswered}, '${unanswered}')", ""),
    ("concat(jr:choice-name(${company}, '${company}'), ' svarte')", "DNB Bank svarte"),
]


@pytest.mark.parametrize(("expression", "expected"), [c for c in CASES if c[1] is not None])
def test_an_expression_has_the_value_xpath_gives_it(expression: str, expected: str) -> None:
    tree = parse_expression(expression)
    check_tree(tree)
    value = evaluate(tree, ANSWERS, choice_label=lambda key, code: LABELS.get((key, code), code))
    assert as_text(value) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "'it''s'",
        "today()",
        "${age} +",
        "(${age}",
        "age > 3",  # a bare name is a choice column only in a choice_filter
        "../age",
        "round()",
        "if(1, 2)",
        "jr:choice-name(${company}, 'company')",
        "${unclosed",
        "",
        "position(..)",
    ],
)
def test_expressions_outside_the_supported_part_are_refused(expression: str) -> None:
    with pytest.raises(ExpressionError):
        parse_expression(expression)


def test_choice_filters_read_the_choices_own_columns() -> None:
    answers = {"industry": "bank", "industries": ["bank", "tele"]}
    cases = {
        "industry = ${industry}": {"dnb": True, "telenor": False},
        "${industry} = industry": {"dnb": True, "telenor": False},
        "selected(${industries}, industry)": {"dnb": True, "telenor": True, "ikea": False},
        "industry = ${industry} or name = 'ikea'": {"dnb": True, "telenor": False, "ikea": True},
        "industry = ${industry} and size = 'big'": {"dnb": True, "nordea": False},
    }
    rows = {
        "dnb": {"name": "dnb", "industry": "bank", "size": "big"},
        "nordea": {"name": "nordea", "industry": "bank", "size": "small"},
        "telenor": {"name": "telenor", "industry": "tele"},
        "ikea": {"name": "ikea", "industry": "retail"},
    }
    for expression, expected in cases.items():
        tree = parse_expression(expression, columns=True)
        check_tree(tree, columns=True)
        got = {code: evaluate(tree, answers, choice=rows[code]) for code in expected}
        assert got == expected, expression
    assert columns_read(parse_expression("industry = ${industry} and size = 'big'", columns=True))
    assert references(parse_expression("selected(${industries}, industry)", columns=True)) == {
        "industries"
    }


@pytest.mark.parametrize(
    "expression",
    [
        "${a} + ${b} * 2",
        "(${a} + ${b}) * 2",
        "${a} - (${b} - 1)",
        "10 - -3",
        "if(${a} > 1 and not(${b} = 'x') or ${c} != '', concat('a', \"it's\"), round(${a}, 2))",
        "industry = ${x} or selected(${y}, industry)",
        "jr:choice-name(${a}, '${a}')",
        "2.5 mod 2",
    ],
)
def test_a_tree_written_as_xpath_reads_back_the_same(expression: str) -> None:
    tree = parse_expression(expression, columns=True)
    assert parse_expression(to_xpath(tree), columns=True) == tree


def test_a_stored_tree_is_checked_before_it_is_used() -> None:
    for bad in [{"op": "^", "args": [1, 2]}, {"fn": "today", "args": []}, {"ref": 3}, [1], None]:
        with pytest.raises(ExpressionError):
            check_tree(bad)
    with pytest.raises(ExpressionError):
        check_tree({"col": "industry"})  # a column only in a choice filter


def test_numbers_are_kept_as_odk_writes_them() -> None:
    assert as_text(3.0) == "3"
    assert as_text(1e-7) == "0.0000001"
    assert as_text(math.inf) == "Infinity"
    assert as_text(True) == "true"
