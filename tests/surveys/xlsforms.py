"""XLSForm workbooks for tests: a small valid form, and ways to spoil it."""

import io
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook


def xlsx(sheets: dict[str, list[list[Any]]]) -> io.BytesIO:
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def table(rows: list[dict[str, Any]]) -> list[list[Any]]:
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    return [header, *([row.get(k) for k in header] for row in rows)]


def base_survey() -> list[dict[str, Any]]:
    return [
        {"type": "begin_group", "name": "main", "label::nb": "Hoved"},
        {"type": "select_one yes_no", "name": "contacted", "label::nb": "Kontakt?"},
        {"type": "select_multiple channels", "name": "channels", "label::nb": "Kanaler"},
        {"type": "text", "name": "comment", "label::nb": "Kommentar"},
        {"type": "end_group"},
    ]


def base_choices() -> list[dict[str, Any]]:
    return [
        {"list_name": "yes_no", "name": "yes", "label::nb": "Ja"},
        {"list_name": "yes_no", "name": "no", "label::nb": "Nei"},
        {"list_name": "channels", "name": "phone", "label::nb": "Telefon"},
        {"list_name": "channels", "name": "chat", "label::nb": "Chat"},
    ]


def base_settings() -> list[dict[str, Any]]:
    return [{"form_title": "Skjema", "form_id": "skjema"}]


Form = dict[str, list[dict[str, Any]]]


def change_row(sheet: str, index: int, **values: Any) -> Callable[[Form], None]:
    return lambda form: form[sheet][index].update(values)


def insert_row(sheet: str, index: int, **values: Any) -> Callable[[Form], None]:
    return lambda form: form[sheet].insert(index, values)


def build(spoil: Callable[[Form], None] | None = None) -> io.BytesIO:
    form: Form = {"survey": base_survey(), "choices": base_choices(), "settings": base_settings()}
    if spoil:
        spoil(form)
    return xlsx({name: table(rows) for name, rows in form.items()})
