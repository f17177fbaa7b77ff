"""Every upload is limited before it is parsed: its size, and the rows it holds, empty ones too."""

import io
from typing import Any

import pytest
from django.utils import translation

from kundeservice.errors import DomainError
from kundeservice.roles import Role
from surveys.models import Company, Panelist
from surveys.services.catalog import companies_import
from surveys.services.panels import panelists_import
from tests.factories import UserFactory
from tests.workbook_bombs import xlsx_with

pytestmark = pytest.mark.django_db


class _Declared(io.BytesIO):
    """An upload whose declared size (as Django's UploadedFile gives it) is huge."""

    size = 50 * 1024 * 1024

    def read(self, *args: Any) -> bytes:
        raise AssertionError("a file over the limit must not be read")


def test_a_catalog_file_over_the_size_limit_is_refused_before_it_is_read() -> None:
    with translation.override("en"), pytest.raises(DomainError) as caught:
        companies_import(file=_Declared(), filename="firma.csv")
    assert "larger than 20 MB" in caught.value.messages[0]
    assert not Company.objects.exists()


def test_a_panel_file_over_the_size_limit_is_refused_even_without_a_declared_size() -> None:
    data = b"email\n" + b"kari@example.no\n" * (21 * 1024 * 1024 // 16)
    with translation.override("en"), pytest.raises(DomainError) as caught:
        panelists_import(file=io.BytesIO(data), filename="panel.csv")
    assert "larger than 20 MB" in caught.value.messages[0]


def test_a_small_xlsx_that_unpacks_to_two_million_rows_is_refused_on_the_panel_page(
    client: Any,
) -> None:
    bomb = io.BytesIO(xlsx_with({"panel": [["email"], ["kari@example.no"]]}, empty_rows=2_000_000))
    bomb.name = "panel.xlsx"
    assert len(bomb.getvalue()) < 100_000
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    response = client.post("/staff/panel/import/", {"file": bomb}, HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 400
    assert "flere enn 200000 rader" in response.content.decode()
    assert not Panelist.objects.exists()


def test_empty_csv_lines_count_towards_the_row_limit() -> None:
    data = b"email\nkari@example.no\n" + b";\n" * 200_001
    with translation.override("en"), pytest.raises(DomainError) as caught:
        panelists_import(file=io.BytesIO(data), filename="panel.csv")
    assert caught.value.code == "too_many_rows"


@pytest.mark.timeout(30)
def test_a_workbook_declaring_the_full_sheet_reads_only_its_content() -> None:
    # Excel's full width and height: read cell by cell this took more than four minutes.
    data = xlsx_with(
        {"firma": [["org_number", "name", "industry"], ["910000144", "Fjordbanken", "bank"]]},
        dimension="A1:XFD1048576",
    )
    with translation.override("en"), pytest.raises(DomainError) as caught:
        companies_import(file=io.BytesIO(data), filename="firma.xlsx")
    # The row is read (and refused only for its unknown industry), nothing else.
    assert [e.row for e in caught.value.row_errors] == [2]  # type: ignore[attr-defined]


def _with_member_method(data: bytes, member: str, method: int) -> bytes:
    """The zip with ``member``'s compression method changed to ``method`` in both its headers
    (what a workbook packed by a tool with an exotic method, or damaged, looks like)."""
    import struct
    import zipfile

    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    patched = bytearray(data)
    struct.pack_into("<H", patched, info.header_offset + 8, method)  # local file header
    central = patched.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", patched, central + 28)[0]
        if patched[central + 46 : central + 46 + name_length] == member.encode():
            struct.pack_into("<H", patched, central + 10, method)
        central = patched.find(b"PK\x01\x02", central + 4)
    return bytes(patched)


@pytest.mark.parametrize("method", [99, 1])  # unknown; "shrunk" (zipfile cannot unpack either)
def test_a_workbook_packed_with_a_method_zipfile_lacks_gets_a_clear_message(method: int) -> None:
    """The row counter reads the sheet as it streams; zipfile refuses an unknown compression
    method with NotImplementedError. The import must say the file cannot be read, not fail."""
    plain = xlsx_with({"panel": [["email"], ["kari@example.no"]]})
    damaged = _with_member_method(plain, "xl/worksheets/sheet1.xml", method)
    with translation.override("en"), pytest.raises(DomainError) as caught:
        panelists_import(file=io.BytesIO(damaged), filename="panel.xlsx")
    assert caught.value.messages == ["The file is not a readable Excel workbook (.xlsx)."]
    assert not Panelist.objects.exists()
