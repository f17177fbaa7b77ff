"""The company import: every bad row reported with its number and reason, nothing half-done."""

import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from kundeservice.errors import DomainError, ImportRejected
from surveys.models import Company
from surveys.services.catalog import companies_import
from tests.factories import CompanyFactory, IndustryFactory, valid_org_number

HEADER = "organisasjonsnummer;navn;bransje;kanaler;nettside"


def csv_file(*lines: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *lines]) + "\n").encode("utf-8"))


@pytest.fixture
def bank(db: None):
    return IndustryFactory(slug="bank", name="Bank", name_en="Banking")


def test_imports_new_companies_with_norwegian_headers_and_labels(bank) -> None:
    org = valid_org_number(1)
    summary = companies_import(
        file=csv_file(f"{org};Fjordbanken ASA;Bank;Telefon, Chat, E-post;https://fjord.example.no"),
        filename="firma.csv",
    )
    assert (summary.created, summary.updated) == (1, 0)
    company = Company.objects.get(org_number=org)
    assert company.name == "Fjordbanken ASA"
    assert company.industry == bank
    assert company.channels == ["phone", "chat", "email"]


def test_reimport_updates_by_organisation_number(bank) -> None:
    existing = CompanyFactory(industry=bank, name="Gammelt navn")
    summary = companies_import(
        file=csv_file(f"{existing.org_number};Nytt navn;bank;chat;"), filename="firma.csv"
    )
    assert (summary.created, summary.updated) == (0, 1)
    existing.refresh_from_db()
    assert existing.name == "Nytt navn"
    assert existing.channels == ["chat"]


def test_accepts_xlsx_with_english_headers(bank) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["org_number", "name", "industry", "channels"])
    sheet.append([int(valid_org_number(2)), "Excel Bank", "Banking", "phone;chat"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    assert companies_import(file=buffer, filename="firma.xlsx").created == 1
    assert Company.objects.get(name="Excel Bank").channels == ["phone", "chat"]


# The column as the file's header names it.
BAD_ROWS = {
    "org number with eight digits": ("12345678;Navn;bank;;", "organisasjonsnummer"),
    "org number with a wrong check digit": ("912345670;Navn;bank;;", "organisasjonsnummer"),
    "org number with letters": ("91234567X;Navn;bank;;", "organisasjonsnummer"),
    "missing org number": (";Navn;bank;;", "organisasjonsnummer"),
    "missing name": ("{org};;bank;;", "navn"),
    "name too long": ("{org};" + "x" * 201 + ";bank;;", "navn"),
    "unknown industry": ("{org};Navn;romfart;;", "bransje"),
    "missing industry": ("{org};Navn;;;", "bransje"),
    "unknown channel": ("{org};Navn;bank;telefon, brevdue;", "kanaler"),
    "website without scheme": ("{org};Navn;bank;;www.example.no", "nettside"),
    # Found only by the model's own validation, after the row checks: still with its row.
    "website too long": ("{org};Navn;bank;;https://example.no/" + "a" * 200, "nettside"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_each_kind_of_bad_row_is_reported_and_nothing_is_imported(bank, case: str) -> None:
    line, column = BAD_ROWS[case]
    good = f"{valid_org_number(10)};God Bank;bank;chat;"
    bad = line.format(org=valid_org_number(11))
    with pytest.raises(ImportRejected) as caught:
        companies_import(file=csv_file(good, bad), filename="firma.csv")
    errors = caught.value.row_errors
    assert [(e.row, e.column) for e in errors] == [(3, column)]
    assert errors[0].message
    assert Company.objects.count() == 0


def test_duplicate_org_number_in_the_file_names_both_rows(bank) -> None:
    org = valid_org_number(3)
    with pytest.raises(ImportRejected) as caught:
        companies_import(file=csv_file(f"{org};A;bank;;", f"{org};B;bank;;"), filename="f.csv")
    assert caught.value.row_errors[0].row == 3
    assert "2" in caught.value.row_errors[0].message
    assert not Company.objects.exists()


def test_messages_follow_the_users_language(bank) -> None:
    with translation.override("nb"), pytest.raises(ImportRejected) as nb:
        companies_import(file=csv_file("123;Navn;bank;;"), filename="f.csv")
    with translation.override("en"), pytest.raises(ImportRejected) as en:
        companies_import(file=csv_file("123;Navn;bank;;"), filename="f.csv")
    assert "nine digits" in en.value.row_errors[0].message
    assert nb.value.row_errors[0].message != en.value.row_errors[0].message
    assert "ni sifre" in nb.value.row_errors[0].message


BAD_FILES = {
    "pdf": (b"%PDF-1.4", "rapport.pdf", "file_type"),
    "empty": (b"", "tom.csv", "empty_file"),
    "header only": (HEADER.encode(), "tom.csv", "no_rows"),
    "missing column": (b"navn;bransje\nA;bank\n", "f.csv", "missing_columns"),
    "binary as csv": (b"\x00\x01\x02\xff\xfe", "f.csv", "not_csv"),
    "corrupt xlsx": (b"PK\x03\x04 not really a zip", "f.xlsx", "not_xlsx"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_unreadable_files_get_a_clear_message(bank, case: str) -> None:
    content, name, code = BAD_FILES[case]
    with pytest.raises(DomainError) as caught:
        companies_import(file=io.BytesIO(content), filename=name)
    assert caught.value.code == code
    assert not Company.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_csv_as_excel_saves_unicode_text_is_read(bank, encoding: str) -> None:
    org = valid_org_number(4)
    text = f"organisasjonsnummer\tnavn\tbransje\n{org}\tÆrlige Øre AS\tbank\n"
    summary = companies_import(file=io.BytesIO(text.encode(encoding)), filename="firma.csv")
    assert summary.created == 1
    assert Company.objects.get(org_number=org).name == "Ærlige Øre AS"
