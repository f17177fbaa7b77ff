"""Calculations: the part of XPath that XLSForm ``calculation`` and ``choice_filter`` cells use,
parsed once into a JSON tree (stored on the question, like a branching condition) and evaluated
on the server from the answers given.

The tree:

    "text", 3, 2.5                          a literal (string or number)
    {"ref": "q"}                            ``${q}``: the answer to q (or q's calculated value)
    {"col": "industry"}                     a column of the choice being filtered (choice_filter)
    {"op": "+", "args": [a, b]}             + - * div mod = != < <= > >= and or
    {"fn": "concat", "args": [...]}         a function (FUNCTIONS lists them)

Values follow XPath 1.0: a reference is the answer as text ("" when unanswered, a multiple
choice's codes separated by spaces, a number as written); ``=`` and ``!=`` compare as booleans
when one side is a boolean, as numbers when one is a number, else as text; ``<``… compare
numbers; arithmetic on something that is not a number gives NaN. A calculated value is kept as
text, as ODK keeps it: numbers without a needless ``.0``, booleans as ``true``/``false``.
"""

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from surveys.branching import NA

#: Functions and how many arguments they take (least, most; None: any number).
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "if": (3, 3),
    "concat": (1, None),
    "coalesce": (2, 2),
    "string-length": (1, 1),
    "round": (1, 2),
    "number": (1, 1),
    "string": (1, 1),
    "not": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
    "selected": (2, 2),
    "count-selected": (1, 1),
    "jr:choice-name": (2, 2),
}
OPERATORS = {"or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"}

#: The chosen option's label for (question, code), in the respondent's language.
ChoiceLabel = Callable[[str, str], str]


class ExpressionError(ValueError):
    """An expression outside the supported part of XPath; the message is for the user."""


def parse_expression(text: str, *, columns: bool = False) -> Any:
    """The tree of an XPath expression. ``columns``: bare names are choice columns (a
    choice_filter), as in ``industry = ${industry}``."""
    return _Parser(text, columns=columns).parse()


def references(tree: Any) -> set[str]:
    """The questions (``${q}``) an expression reads."""
    if isinstance(tree, dict):
        if "ref" in tree:
            return {tree["ref"]}
        return {key for arg in tree.get("args", []) for key in references(arg)}
    return set()


def check_tree(tree: Any, *, columns: bool = False) -> None:
    """Raise ``ExpressionError`` when ``tree`` is not an expression in the grammar above."""
    if isinstance(tree, str | int | float) and not isinstance(tree, bool):
        return
    if not isinstance(tree, dict) or len(tree) not in {1, 2}:
        raise ExpressionError(f"not an expression: {tree!r}")
    if set(tree) == {"ref"} and isinstance(tree["ref"], str):
        return
    if columns and set(tree) == {"col"} and isinstance(tree["col"], str):
        return
    args = tree.get("args")
    if not isinstance(args, list):
        raise ExpressionError(f"not an expression: {tree!r}")
    if set(tree) == {"op", "args"} and tree["op"] in OPERATORS and len(args) == 2:
        pass
    elif set(tree) == {"fn", "args"} and tree["fn"] in FUNCTIONS:
        least, most = FUNCTIONS[tree["fn"]]
        if len(args) < least or (most is not None and len(args) > most):
            raise ExpressionError(f"wrong number of arguments: {tree!r}")
    else:
        raise ExpressionError(f"not an expression: {tree!r}")
    for arg in args:
        check_tree(arg, columns=columns)


def columns_read(tree: Any) -> set[str]:
    """The choice columns (bare names) a choice filter reads."""
    if isinstance(tree, dict):
        if "col" in tree:
            return {tree["col"]}
        return {name for arg in tree.get("args", []) for name in columns_read(arg)}
    return set()


def to_xpath(tree: Any) -> str:
    """The XPath text of a tree; parsing it gives the same tree."""
    if isinstance(tree, str):
        quote = "'" if "'" not in tree else '"'
        if quote in tree:
            raise ExpressionError(_("A text has both kinds of quotes: %(text)s") % {"text": tree})
        return f"{quote}{tree}{quote}"
    if isinstance(tree, int | float) and not isinstance(tree, bool):
        return as_text(float(tree))
    if "ref" in tree:
        return f"${{{tree['ref']}}}"
    if "col" in tree:
        return str(tree["col"])
    args = tree["args"]
    if "fn" in tree:
        return f"{tree['fn']}({', '.join(to_xpath(a) for a in args)})"
    level = _PRECEDENCE[tree["op"]]
    left, right = (to_xpath(a) for a in args)
    if _binds_looser(args[0], level, right_side=False):
        left = f"({left})"
    if _binds_looser(args[1], level, right_side=True):
        right = f"({right})"
    return f"{left} {tree['op']} {right}"


def _binds_looser(tree: Any, level: int, *, right_side: bool) -> bool:
    if isinstance(tree, int | float) and not isinstance(tree, bool) and tree < 0:
        return True  # -3 is read back as a literal, but 0 - -3 reads more clearly as 0 - (-3)
    if not isinstance(tree, dict) or "op" not in tree:
        return False
    inner = _PRECEDENCE[tree["op"]]
    return inner < level or (right_side and inner == level)


def evaluate(
    tree: Any,
    answers: Mapping[str, Any],
    *,
    choice: Mapping[str, str] | None = None,
    choice_label: ChoiceLabel | None = None,
) -> Any:
    """The value of ``tree`` (str, float or bool) given the answers; ``choice`` is the row of
    the choice being filtered, ``choice_label`` names an option for ``jr:choice-name``."""
    return _Evaluator(answers, choice or {}, choice_label).value(tree)


def as_text(value: Any) -> str:
    """A value as XPath's string() writes it, which is how a calculated value is kept."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value)


def as_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return value != ""


def as_number(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)", text):
        return math.nan
    return float(text)


def answer_text(value: Any) -> str:
    """An answer as its XPath node value."""
    if value is None or value == NA:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, float):
        return as_text(value)
    return str(value)


# Evaluating ---------------------------------------------------------------------------------


@dataclass
class _Evaluator:
    answers: Mapping[str, Any]
    choice: Mapping[str, str]
    choice_label: ChoiceLabel | None

    def value(self, tree: Any) -> Any:
        if isinstance(tree, bool):
            return tree
        if isinstance(tree, int | float):
            return float(tree)
        if isinstance(tree, str):
            return tree
        if not isinstance(tree, dict):
            raise ExpressionError(f"not an expression: {tree!r}")
        if "ref" in tree:
            return answer_text(self.answers.get(tree["ref"]))
        if "col" in tree:
            return str(self.choice.get(tree["col"], ""))
        args = tree.get("args", [])
        if "op" in tree:
            return self._operator(tree["op"], args)
        if "fn" in tree:
            return self._function(tree["fn"], args)
        raise ExpressionError(f"not an expression: {tree!r}")

    def _operator(self, op: str, args: list[Any]) -> Any:
        if op == "and":
            return as_boolean(self.value(args[0])) and as_boolean(self.value(args[1]))
        if op == "or":
            return as_boolean(self.value(args[0])) or as_boolean(self.value(args[1]))
        left, right = self.value(args[0]), self.value(args[1])
        if op in {"=", "!="}:
            if isinstance(left, bool) or isinstance(right, bool):
                equal = as_boolean(left) == as_boolean(right)
            elif isinstance(left, float) or isinstance(right, float):
                equal = as_number(left) == as_number(right)
            else:
                equal = left == right
            return equal if op == "=" else not equal
        a, b = as_number(left), as_number(right)
        if op in {"<", "<=", ">", ">="}:
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "div":
            if b == 0:  # IEEE 754, as XPath: ±Infinity, or NaN for 0 div 0
                if a == 0 or math.isnan(a):
                    return math.nan
                return math.copysign(math.inf, a) * math.copysign(1, b)
            return a / b
        if op == "mod":
            if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
                return math.nan
            return math.fmod(a, b)
        raise ExpressionError(f"unknown operator {op!r}")

    def _function(self, name: str, args: list[Any]) -> Any:
        if name == "if":
            return self.value(args[1] if as_boolean(self.value(args[0])) else args[2])
        if name == "true":
            return True
        if name == "false":
            return False
        if name == "not":
            return not as_boolean(self.value(args[0]))
        if name in {"selected", "count-selected"}:
            chosen = self._text(args[0]).split()
            if name == "count-selected":
                return float(len(chosen))
            return self._text(args[1]).strip() in chosen
        if name == "jr:choice-name":
            code = self._text(args[0])
            key = self._text(args[1]).strip().removeprefix("${").removesuffix("}").strip()
            if not code or self.choice_label is None:
                return ""
            return self.choice_label(key, code)
        values = [self.value(a) for a in args]
        if name == "concat":
            return "".join(as_text(v) for v in values)
        if name == "coalesce":
            first = as_text(values[0])
            return first if first != "" else as_text(values[1])
        if name == "string-length":
            return float(len(as_text(values[0])))
        if name == "number":
            return as_number(values[0])
        if name == "string":
            return as_text(values[0])
        if name == "round":
            return _round(as_number(values[0]), as_number(values[1]) if len(values) > 1 else 0.0)
        raise ExpressionError(f"unknown function {name!r}")

    def _text(self, tree: Any) -> str:
        return as_text(self.value(tree))


def _round(number: float, places: float) -> float:
    """ODK's round(x, n): half away from zero, to n decimals."""
    if math.isnan(places):
        return math.nan
    if not math.isfinite(number):
        return number
    exponent = Decimal(1).scaleb(-int(places))
    rounded = Decimal(repr(number)).quantize(exponent, rounding=ROUND_HALF_UP)
    return float(rounded)


# Parsing ------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<ref>\$\{[^}]*\})
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<number>\d+(?:\.\d*)?|\.\d+)
    | (?P<op>!=|<=|>=|=|<|>|\+|-|\*)
    | (?P<punct>[(),])
    | (?P<name>[^\W\d][\w.:-]*)
    """,
    re.VERBOSE,
)
#: Binary operators by precedence, loosest first (XPath 1.0).
_LEVELS: list[set[str]] = [
    {"or"},
    {"and"},
    {"=", "!="},
    {"<", "<=", ">", ">="},
    {"+", "-"},
    {"*", "div", "mod"},
]
_WORD_OPERATORS = {"or", "and", "div", "mod"}
_PRECEDENCE = {op: index for index, level in enumerate(_LEVELS) for op in level}


@dataclass
class _Token:
    kind: str
    text: str


class _Parser:
    def __init__(self, text: str, *, columns: bool) -> None:
        self.columns = columns
        self.tokens = _tokenize(text)
        self.position = 0

    def parse(self) -> Any:
        if not self.tokens:
            raise ExpressionError(_("The expression is empty."))
        tree = self._level(0)
        if self.position < len(self.tokens):
            raise ExpressionError(
                _("Unexpected “%(text)s” in the expression.")
                % {"text": self.tokens[self.position].text}
            )
        return tree

    def _peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _next(self) -> _Token:
        token = self._peek()
        if token is None:
            raise ExpressionError(_("The expression ends too early."))
        self.position += 1
        return token

    def _is_operator(self, token: _Token | None, level: set[str]) -> bool:
        if token is None or token.text not in level:
            return False
        return token.kind == "op" or (token.kind == "name" and token.text in _WORD_OPERATORS)

    def _level(self, index: int) -> Any:
        if index == len(_LEVELS):
            return self._unary()
        tree = self._level(index + 1)
        while self._is_operator(self._peek(), _LEVELS[index]):
            op = self._next().text
            tree = {"op": op, "args": [tree, self._level(index + 1)]}
        return tree

    def _unary(self) -> Any:
        token = self._peek()
        if token is not None and token.kind == "op" and token.text == "-":
            self.position += 1
            operand = self._unary()
            if isinstance(operand, int | float) and not isinstance(operand, bool):
                return -operand
            return {"op": "-", "args": [0, operand]}
        return self._primary()

    def _primary(self) -> Any:
        token = self._next()
        if token.text == "(" and token.kind == "punct":
            tree = self._level(0)
            self._expect(")")
            return tree
        if token.kind == "ref":
            key = token.text[2:-1].strip()
            if not re.fullmatch(r"[A-Za-z_][\w.-]*", key):
                raise ExpressionError(_("“%(text)s” is not a question name.") % {"text": key})
            return {"ref": key}
        if token.kind == "string":
            return token.text[1:-1]
        if token.kind == "number":
            number = Decimal(token.text)
            return int(number) if number == number.to_integral_value() else float(number)
        if token.kind == "name":
            following = self._peek()
            if following is not None and following.text == "(":
                self.position += 1
                return self._call(token.text)
            if self.columns and token.text not in _WORD_OPERATORS:
                return {"col": token.text}
            raise ExpressionError(
                _("“%(name)s” is not understood; refer to a question as ${name}.")
                % {"name": token.text}
            )
        raise ExpressionError(_("Unexpected “%(text)s” in the expression.") % {"text": token.text})

    def _call(self, name: str) -> Any:
        if name not in FUNCTIONS:
            raise ExpressionError(
                _("The function %(name)s() is not supported in calculations.") % {"name": name}
            )
        args: list[Any] = []
        if self._peek() is not None and self._peek_text() == ")":
            self.position += 1
        else:
            while True:
                args.append(self._level(0))
                separator = self._next()
                if separator.text == ")":
                    break
                if separator.text != ",":
                    raise ExpressionError(
                        _("Expected “,” or “)” but found “%(found)s”.") % {"found": separator.text}
                    )
        least, most = FUNCTIONS[name]
        if len(args) < least or (most is not None and len(args) > most):
            raise ExpressionError(
                _("%(name)s() does not take %(count)d argument(s).")
                % {"name": name, "count": len(args)}
            )
        if name == "jr:choice-name" and not (
            isinstance(args[1], str) and re.fullmatch(r"\s*\$\{[^}]+\}\s*", args[1])
        ):
            raise ExpressionError(
                _("jr:choice-name() names its question in quotes: jr:choice-name(${q}, '${q}').")
            )
        return {"fn": name, "args": args}

    def _peek_text(self) -> str:
        token = self._peek()
        return token.text if token else ""

    def _expect(self, text: str) -> None:
        token = self._next()
        if token.text != text:
            raise ExpressionError(
                _("Expected “%(expected)s” but found “%(found)s”.")
                % {"expected": text, "found": token.text}
            )


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            rest = text[position:]
            if rest[0] in "'\"":
                raise ExpressionError(_("A text in quotes is not closed."))
            if rest.startswith("${"):
                raise ExpressionError(_("A ${…} reference is not closed."))
            raise ExpressionError(
                _("“%(char)s” is not understood in the expression.") % {"char": rest[0]}
            )
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group()))
    return tokens
