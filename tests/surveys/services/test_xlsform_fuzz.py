"""No workbook makes the XLSForm import fail with anything but a clear refusal: generated forms
(real types, wrong types, odd names, relevant and constraint expressions, bad numbers) and
malformed files."""

import io
import zipfile
from typing import Any

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from kundeservice.errors import DomainError
from surveys.services.xlsform import questionnaire_review_xlsform
from tests.surveys.xlsforms import table, xlsx

pytestmark = pytest.mark.django_db

TYPES = [
    "text",
    "integer",
    "decimal",
    "note",
    "date",
    "time",
    "dateTime",
    "calculate",
    "geopoint",
    "begin_group",
    "end_group",
    "begin group",
    "end group",
    "begin_repeat",
    "end_repeat",
    "select_one l",
    "select_multiple l",
    "select one from l",
    "select_one l or_other",
    "select_one missing",
    "range",
    "start",
    "slider",
    "",
]
WORDS = st.sampled_from(["a", "b", "c", "navn", "1x", "x y", "=SUM(1)", "", "${a}", "æøå"])
EXPRESSIONS = st.sampled_from(
    [
        "",
        "0",
        "${a} = 'x'",
        "${b} > 3",
        ". <= 10",
        "selected(${a}, 'x')",
        "not(${c} = 'y')",
        "today() > 1",
        "${a} +",
        "((",
        "${",
        "'",
    ]
)
ROW = st.fixed_dictionaries(
    {
        "type": st.sampled_from(TYPES),
        "name": WORDS,
        "label": WORDS,
        "relevant": EXPRESSIONS,
        "constraint": EXPRESSIONS,
        "parameters": st.sampled_from(["", "start=1 end=5", "start=0 end=10", "start=x"]),
        "weight": st.sampled_from(["", "1", "10000", "10001", "0.0004", "-1", "x"]),
        "label::Deutsch (de)": WORDS,
    }
)
CHOICE = st.fixed_dictionaries(
    {
        "list_name": st.sampled_from(["l", "", "m"]),
        "name": WORDS,
        "label": WORDS,
        "points": st.sampled_from(["", "0", "1", "0.0004", "x", "99999"]),
    }
)


def review(data: bytes, filename: str) -> None:
    """A refusal is a DomainError with a message; anything else would be a server error."""
    refusal: list[str] = []
    with translation.override("en"):
        try:
            questionnaire_review_xlsform(file=io.BytesIO(data), filename=filename)
        except DomainError as exc:
            refusal = [str(m) for m in exc.messages] or [""]
    assert all(message.strip() for message in refusal)


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    survey=st.lists(ROW, min_size=0, max_size=12),
    choices=st.lists(CHOICE, min_size=0, max_size=6),
)
def test_generated_workbooks_are_imported_or_refused_cleanly(
    survey: list[dict[str, Any]], choices: list[dict[str, Any]]
) -> None:
    sheets = {"survey": table(survey) if survey else [["type", "name", "label"]]}
    if choices:
        sheets["choices"] = table(choices)
    review(xlsx(sheets).getvalue(), "f.xlsx")


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


MALFORMED = {
    "empty": (b"", "f.xlsx"),
    "random bytes": (bytes(range(256)) * 10, "f.xlsx"),
    "zip without a workbook": (_zip({"hello.txt": b"hi"}), "f.xlsx"),
    "workbook with broken sheet xml": (
        _zip(
            {
                "[Content_Types].xml": b"<Types/>",
                "xl/workbook.xml": b"<workbook><sheets><sheet name='survey'",
                "xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row>",
            }
        ),
        "f.xlsx",
    ),
    "ole header only": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "f.xls"),
    "binary csv": (b"\x00\xff\xfe" * 100, "f.csv"),
    "markdown without a table": (b"# a title\n\nno table", "f.md"),
    "utf-16 csv": ("survey,,,\n,type,name,label\n,text,a,A\n".encode("utf-16"), "f.csv"),
    "no extension": (b"type,name\n", ""),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_files_are_refused_cleanly(case: str) -> None:
    data, filename = MALFORMED[case]
    review(data, filename)
