"""Spreadsheets that are small on disk and huge when read: for the upload-limit tests and bench."""

import io
import re
import zipfile
from typing import Any

from openpyxl import Workbook


def xlsx_with(
    sheets: dict[str, list[list[Any]]], *, dimension: str = "", empty_rows: int = 0
) -> bytes:
    """An XLSX file with ``sheets``; every sheet declares ``dimension`` (as LibreOffice's
    ``A1:AMJ1048576``) and ends with ``empty_rows`` empty ``<row>`` elements."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    plain = io.BytesIO()
    workbook.save(plain)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(plain) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = _spoil_sheet(data.decode(), dimension=dimension, empty_rows=empty_rows)
            target.writestr(item, data)
    return out.getvalue()


def _spoil_sheet(xml: str, *, dimension: str, empty_rows: int) -> bytes:
    if dimension:
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>', xml)
    if empty_rows:
        extra = "<row/>" * empty_rows  # rows without a number follow the last one
        if "<sheetData/>" in xml:
            xml = xml.replace("<sheetData/>", f"<sheetData>{extra}</sheetData>")
        else:
            xml = xml.replace("</sheetData>", f"{extra}</sheetData>")
    return xml.encode()
