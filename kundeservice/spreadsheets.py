"""Cells for every CSV and XLSX the platform writes: no text runs as a formula.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or ``@``
(and some a tab or carriage return before them) as a formula, so a company called
``=HYPERLINK("http://evil", "Klikk")`` in a catalog import would reach every visitor who opens a
results download. Text cells that start so get a leading apostrophe, which spreadsheets show as
text (OWASP's advice); numbers stay numbers.
"""

from typing import Any

#: What makes a spreadsheet read a text cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    """Would a spreadsheet run this text as a formula?"""
    return text.startswith(FORMULA_STARTS)


def safe_cell(value: Any) -> Any:
    """``value`` as it may go into a CSV or XLSX cell: text that would be a formula is quoted
    with a leading apostrophe; anything else is returned unchanged."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def safe_row(values: Any) -> list[Any]:
    """A row of cells, each made safe."""
    return [safe_cell(value) for value in values]


def safe_cell_sql(expression: str) -> str:
    """The SQL twin of ``safe_cell`` (PostgreSQL) for a text ``expression``: what a database
    writes straight into a CSV (``COPY``) gets the same leading apostrophe, by the same rule."""
    starts = ", ".join(
        f"'{c}'" if c.isprintable() and c != "'" else f"chr({ord(c)})" for c in FORMULA_STARTS
    )
    return (
        f"CASE WHEN left({expression}, 1) IN ({starts}) "
        f"THEN '''' || {expression} ELSE {expression} END"
    )
