"""No text the platform writes to a spreadsheet runs as a formula."""

import pytest

from kundeservice.spreadsheets import safe_cell, safe_row


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example","Klikk")',
        "+47 22 00 00 00",
        "-1+1",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
    ],
)
def test_text_a_spreadsheet_would_run_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_other_cells_are_unchanged() -> None:
    assert safe_row(["Telenor ASA", -5, 12.5, None, "", "a=b"]) == [
        "Telenor ASA",
        -5,
        12.5,
        None,
        "",
        "a=b",
    ]
