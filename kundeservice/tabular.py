"""Read an uploaded CSV or XLSX file into rows of text, for the importers.

Every importer gets the same guarantees: a clear message for a file it cannot read, header
names matched case-insensitively through aliases, and row numbers as a spreadsheet shows them
(the header is row 1).
"""

import codecs
import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import IO, Any

from django.utils.translation import gettext as _

from kundeservice.errors import DomainError, ImportRejected, RowError
from kundeservice.upload_limits import (
    TABLE_MAX_BYTES,
    too_many_rows,
    upload_read,
    xlsx_check_rows,
)

MAX_ROWS = 200_000


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, str]


class Rows(list[Row]):
    """The data rows, and each column's header as the file writes it (our name → header), so
    messages name a column the way the person who made the file does."""

    def __init__(self, rows: list[Row], *, headers: dict[str, str]) -> None:
        super().__init__(rows)
        self.headers = headers


def read_rows(
    *,
    file: IO[bytes],
    filename: str,
    columns: Mapping[str, Sequence[str]],
    required: Sequence[str],
) -> Rows:
    """Parse ``file`` and map its headers to our column names through ``columns`` (name →
    accepted headers, the first the one a missing column is asked for by). Raises
    ``DomainError`` when the file or its header cannot be used."""
    raw_rows = _raw_rows(file=file, filename=filename)
    try:
        header = next(raw_rows)
    except StopIteration:
        raise DomainError(_("The file is empty."), code="empty_file") from None
    header_map = _map_header(header, columns=columns, required=required)
    rows: list[Row] = []
    for number, cells in enumerate(raw_rows, start=2):
        if number > MAX_ROWS + 1:  # every row read counts, empty ones too
            raise too_many_rows(MAX_ROWS)
        values = {
            name: (cells[index] if index < len(cells) else "").strip()
            for name, index in header_map.items()
        }
        if not any(values.values()):
            continue
        rows.append(Row(number=number, values=values))
    if not rows:
        raise DomainError(_("The file has a header but no data rows."), code="no_rows")
    headers = {name: str(header[index]).strip() or name for name, index in header_map.items()}
    return Rows(rows, headers=headers)


def reject_if_errors(errors: list[RowError], *, headers: Mapping[str, str] | None = None) -> None:
    """Raise ``ImportRejected`` naming how many rows were bad; nothing has been written yet.
    With ``headers`` (``Rows.headers``) each error names its column as the file does."""
    if errors and headers:
        errors = [replace(e, column=headers.get(e.column, e.column)) for e in errors]
    if errors:
        bad_rows = len({e.row for e in errors})
        raise ImportRejected(
            _(
                "Nothing was imported: %(count)d row(s) have errors. Correct them and upload "
                "the file again."
            )
            % {"count": bad_rows},
            errors=sorted(errors, key=lambda e: (e.row, e.column)),
        )


def _raw_rows(*, file: IO[bytes], filename: str) -> Iterator[list[str]]:
    lower = filename.lower()
    is_csv = lower.endswith(".csv") or lower.endswith(".txt")
    if not is_csv and not lower.endswith(".xlsx"):
        raise DomainError(
            _("Unsupported file type %(name)s: upload a .csv or .xlsx file.") % {"name": filename},
            code="file_type",
        )
    data = upload_read(file=file, max_bytes=TABLE_MAX_BYTES)
    if is_csv:
        return _csv_rows(data)
    xlsx_check_rows(data=data, max_rows=MAX_ROWS, max_bytes=TABLE_MAX_BYTES)
    return _xlsx_rows(io.BytesIO(data))


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        text = _utf16_text(data) if _looks_utf16(data) else data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise DomainError(
                _("The file is not readable text; save it as CSV (UTF-8)."), code="encoding"
            ) from None
    if "\x00" in text:
        raise DomainError(_("The file is not a CSV file."), code="not_csv")
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        yield from reader
    except csv.Error as exc:
        raise DomainError(
            _("The CSV file could not be read: %(error)s") % {"error": exc}, code="csv"
        ) from None


def _looks_utf16(data: bytes) -> bool:
    """Excel's "Unicode text" and many Windows tools save UTF-16: with a byte-order mark, or
    without one a NUL beside every ASCII character."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    head = data[:200]
    even, odd = head[0::2], head[1::2]
    little_endian = not any(odd) and all(even)
    big_endian = not any(even) and all(odd)
    return len(head) >= 4 and (little_endian or big_endian)


def _utf16_text(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-16-le" if data[1] == 0 else "utf-16-be")


def _xlsx_rows(file: IO[bytes]) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a corrupt or foreign file
        raise DomainError(
            _("The file is not a readable Excel workbook (.xlsx)."), code="not_xlsx"
        ) from None
    sheet = workbook.worksheets[0]
    # The declared dimension (A1:XFD1048576 from some programs) would pad every row to it.
    sheet.reset_dimensions()
    for cells in sheet.iter_rows(values_only=True):
        yield [_cell_text(value) for value in cells]
    workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _map_header(
    header: list[str], *, columns: Mapping[str, Sequence[str]], required: Sequence[str]
) -> dict[str, int]:
    normalised = [h.strip().lower().replace(" ", "_") for h in header]
    mapping: dict[str, int] = {}
    for name, aliases in columns.items():
        for alias in (name, *aliases):
            if alias in normalised:
                mapping[name] = normalised.index(alias)
                break
    missing = [(columns.get(name) or (name,))[0] for name in required if name not in mapping]
    if missing:
        raise DomainError(
            _("The header row lacks the column(s): %(columns)s.") % {"columns": ", ".join(missing)},
            code="missing_columns",
        )
    return mapping
