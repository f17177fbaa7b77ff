"""A weighted wave's exports carry the weights the published results used (issue 16 #5), and
every text cell they write is safe from spreadsheet formulas (issue 19 #5).

The golden test re-computes published figures from an export alone, as an analyst would in R or
SPSS: the rows counted in the current results, each with its weight."""

import csv
import datetime
import math
from pathlib import Path
from typing import Any

import openpyxl
import pyreadstat
import pytest
from django.db import connection
from django.test import TestCase
from django.utils import timezone
from openpyxl.utils.escape import unescape

from surveys.branching import NA
from surveys.models import (
    Answer,
    Company,
    Question,
    Questionnaire,
    Response,
    ResultRow,
    ResultSet,
    Wave,
)
from surveys.services import exports
from surveys.services.aggregation import aggregation_start
from surveys.services.exports import ExportFormat, wave_export
from surveys.services.questionnaires import questionnaire_create
from tests.factories import CompanyFactory, WaveFactory
from tests.surveys.services.test_exports import FORMULA, SPEC, answer, read_csv

pytestmark = pytest.mark.django_db

# (gender, birth year, region, satisfaction 1–6 or N/A, reasons ticked or N/A)
PEOPLE: list[tuple[str, int, str, Any, Any]] = [
    ("female", 1960, "vestland", 2, ["invoice"]),
    ("female", 1990, "oslo", 4, ["invoice", "fault"]),
    ("female", 1975, "oslo", 5, ["other"]),
    ("female", 1982, "vestland", NA, NA),
    ("male", 2000, "oslo", 6, ["fault"]),
    ("male", 1950, "nordland", 3, ["invoice", "other"]),
]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def weighted_wave() -> tuple[Wave, ResultSet]:
    """Four women and two men, raked to 50/50 and aggregated; then one more man answers after
    the results were computed, so the current results do not count him."""
    wave = WaveFactory(
        questionnaire=questionnaire_create(spec=SPEC),
        minimum_n=1,
        weight_margins={"gender": {"female": 50, "male": 50}},
    )
    CompanyFactory(slug="fjordbanken", name="Fjordbanken ASA")
    for gender, born, region, satisfaction, reasons in PEOPLE:
        answer(
            wave,
            {
                "contacted_cs": "yes",
                "company": "fjordbanken",
                "channel": "phone",
                "satisfaction": satisfaction,
                "reasons": reasons,
            },
            gender=gender,
            birth_year=born,
            region=region,
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        result_set = aggregation_start(wave=wave, cutoff=wave.ends_on)
    result_set.refresh_from_db()
    assert result_set.is_current, result_set.error
    answer(
        wave,
        {"contacted_cs": "yes", "company": "fjordbanken", "channel": "chat", "satisfaction": 1},
        gender="male",
        birth_year=1970,
        region="oslo",
    )
    return wave, result_set


def published(result_set: ResultSet, measure: str) -> ResultRow:
    return result_set.rows.get(scope="overall", measure=measure)


def number(text: Any) -> float | None:
    """A cell as a number; None for empty, N/A or missing."""
    if text in (None, "", "N/A") or (isinstance(text, float) and math.isnan(text)):
        return None
    return float(text)


def recompute(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The published figures from the export's rows, as an analyst would compute them."""
    counted = [r for r in rows if number(r["in_results"]) == 1]
    assert all(number(r["weight"]) is not None for r in counted)
    rated = [r for r in counted if number(r["satisfaction"]) is not None]
    sw = sum(float(r["weight"]) for r in rated)
    mean = sum(float(r["weight"]) * (float(r["satisfaction"]) - 1) / 5 * 100 for r in rated) / sw
    ticked = [r for r in counted if number(r["reasons_invoice"]) is not None]
    invoice = sum(float(r["weight"]) * float(r["reasons_invoice"]) for r in ticked)
    return {
        "satisfaction": mean,
        "invoice": 100 * invoice / sum(float(r["weight"]) for r in ticked),
    }


def csv_rows(wave: Wave, path: Path) -> list[dict[str, Any]]:
    wave_export(wave=wave, file_format=ExportFormat.CSV, path=path)
    return read_csv(path)


def xlsx_rows(wave: Wave, path: Path) -> list[dict[str, Any]]:
    wave_export(wave=wave, file_format=ExportFormat.XLSX, path=path)
    data = list(openpyxl.load_workbook(path)["data"].iter_rows(values_only=True))
    return [dict(zip(data[0], row, strict=True)) for row in data[1:]]


def sav_rows(wave: Wave, path: Path) -> list[dict[str, Any]]:
    wave_export(wave=wave, file_format=ExportFormat.SAV, path=path)
    data, _meta = pyreadstat.read_sav(str(path))  # N/A (-1) is user-missing: NaN here
    return data.to_dict("records")


@pytest.mark.parametrize("read", [csv_rows, xlsx_rows, sav_rows], ids=["csv", "xlsx", "sav"])
def test_published_figures_recomputed_from_the_export_weights(read: Any, media: Path) -> None:
    wave, result_set = weighted_wave()
    rows = read(wave, media / f"export.{read.__name__[:-5]}")

    figures = recompute(rows)
    satisfaction = published(result_set, "q:satisfaction")
    invoice = published(result_set, "q:reasons=invoice")
    assert figures["satisfaction"] == pytest.approx(satisfaction.value, abs=1e-9)
    assert figures["invoice"] == pytest.approx(invoice.value, abs=1e-9)
    # Unweighted, the export would give other figures: the weights are what makes them right.
    unweighted = recompute([{**r, "weight": 1.0} for r in rows])
    assert unweighted["satisfaction"] != pytest.approx(satisfaction.value, abs=0.5)

    # Raked to 50/50: four women share half the weight, two men the other half.
    by_gender: dict[str, list[float]] = {}
    for row in rows:
        if number(row["in_results"]) == 1:
            by_gender.setdefault(row["gender"], []).append(float(row["weight"]))
    assert by_gender["female"] == pytest.approx([0.75] * 4)
    assert by_gender["male"] == pytest.approx([1.5] * 2)
    late = [r for r in rows if number(r["in_results"]) == 0]
    assert len(late) == 1  # answered after the run
    assert number(late[0]["weight"]) is None
    assert {r["weight_cell"] for r in rows if number(r["in_results"]) == 1} == {"female", "male"}


def test_the_codebook_says_how_the_weights_were_computed(media: Path) -> None:
    wave, result_set = weighted_wave()
    path = media / "codebook.xlsx"
    wave_export(wave=wave, file_format=ExportFormat.CODEBOOK, path=path)
    sheet = list(openpyxl.load_workbook(path)["weighting"].iter_rows(values_only=True))
    items = {row[0]: row[1] for row in sheet if row and row[0]}
    assert items["method"] == "raking"
    assert items["result_set"] == result_set.pk
    assert items["results_through"] == wave.ends_on.isoformat()
    assert items["target gender=female"] == items["target gender=male"] == 50
    assert (items["trim_min"], items["trim_max"]) == (wave.weight_trim_min, wave.weight_trim_max)
    assert items["responses_weighted"] == len(PEOPLE)
    assert items["design_effect"] == pytest.approx(result_set.weighting["design_effect"])
    satisfaction = published(result_set, "q:satisfaction")
    # Every counted response rated, but one said N/A: n_eff of the raters is below the total.
    assert items["effective_n"] >= satisfaction.n_eff
    header = next(i for i, row in enumerate(sheet) if row and row[0] == "weight_cell")
    cells = {row[0]: row[-1] for row in sheet[header + 1 :] if row and row[0]}
    assert cells == {"female": pytest.approx(0.75), "male": pytest.approx(1.5)}
    # The explanations are there in both languages.
    explained = next(row for row in sheet if row[0] == "design_effect")
    assert explained[2].startswith("Designeffekten")
    assert explained[3].startswith("Design effect")

    wave_export(wave=wave, file_format=ExportFormat.SAV, path=media / "x.sav")
    _data, meta = pyreadstat.read_sav(str(media / "x.sav"))
    assert any("design_effect" in note for note in meta.notes)


def test_a_result_set_from_before_cells_were_kept_gives_the_same_weights(media: Path) -> None:
    wave, result_set = weighted_wave()
    kept = csv_rows(wave, media / "kept.csv")
    old = {k: v for k, v in result_set.weighting.items() if k not in {"cells", "targets", "trim"}}
    ResultSet.objects.filter(pk=result_set.pk).update(weighting=old)
    again = csv_rows(wave, media / "again.csv")
    assert [r["weight"] for r in again] == [r["weight"] for r in kept]
    assert recompute(again)["satisfaction"] == pytest.approx(
        published(result_set, "q:satisfaction").value, abs=1e-9
    )


def test_without_results_a_weighted_wave_exports_no_weights(media: Path) -> None:
    wave, result_set = weighted_wave()
    ResultSet.objects.filter(pk=result_set.pk).update(is_current=False)
    rows = csv_rows(wave, media / "none.csv")
    assert {(r["weight"], r["weight_cell"], r["in_results"]) for r in rows} == {("", "", "0")}


def test_copy_and_python_write_the_same_csv(media: Path, monkeypatch: Any) -> None:
    """PostgreSQL's COPY of the SQL pivot and the Python writer (SQLite) give the same cells,
    screened-out respondents, N/A, weights and formula-looking text included."""
    copies: list[int] = []
    copy = exports._CsvWriter.copy

    def counted_copy(self: Any, **kwargs: Any) -> int:
        copies.append(1)
        return copy(self, **kwargs)

    monkeypatch.setattr(exports._CsvWriter, "copy", counted_copy)
    wave, _result_set = weighted_wave()
    answer(wave, {"contacted_cs": "no"})
    answer(
        wave,
        {
            "contacted_cs": "yes",
            "company": "fjordbanken",
            "channel": "email",
            "satisfaction": 3,
            "wait_minutes": 2.25,
            "comment": FORMULA + '\n"quoted", and, commas',
        },
    )
    Response.objects.update(score=80.0)
    Response.objects.filter(pk=Response.objects.order_by("pk").first().pk).update(score=61.25)
    for screened in (False, True):
        by_copy, by_python = media / "copy.csv", media / "python.csv"
        wave_export(
            wave=wave, file_format=ExportFormat.CSV, path=by_copy, include_screened_out=screened
        )
        monkeypatch.setattr(exports, "PIVOT_IN_SQL", False)
        wave_export(
            wave=wave, file_format=ExportFormat.CSV, path=by_python, include_screened_out=screened
        )
        monkeypatch.setattr(exports, "PIVOT_IN_SQL", True)
        with by_copy.open(encoding="utf-8-sig", newline="") as a:
            copied = list(csv.reader(a))
        with by_python.open(encoding="utf-8-sig", newline="") as b:
            written = list(csv.reader(b))
        assert copied == written
        assert len(copied) == 1 + len(PEOPLE) + 2 + screened
    # COPY wrote the first of each pair on PostgreSQL (SQLite has only the Python writer).
    assert len(copies) == (2 if connection.vendor == "postgresql" else 0)


def test_every_text_cell_is_safe_from_formulas(media: Path, monkeypatch: Any) -> None:
    """Codes and names that a catalog or questionnaire import let through come out quoted, in
    the CSV (either writer) and the XLSX (data and codebook), not only free text."""
    wave, _result_set = weighted_wave()
    Company.objects.filter(slug="fjordbanken").update(slug="=1+2", name="@SUM(A1)")
    Answer.objects.filter(question__key="company").update(value_text="=1+2")
    Answer.objects.filter(question__key="channel").update(value_text="+cmd|' /C calc'!A0")
    Response.objects.update(language="-2+3")
    Question.objects.filter(key="comment").update(text="=evil()", text_en="=evil()")
    # A new version of the questionnaire's structure: the edit shows (it is cached per version).
    Questionnaire.objects.filter(pk=wave.questionnaire_id).update(updated_at=timezone.now())
    wave = Wave.objects.get(pk=wave.pk)
    expected = {
        "company_slug": "'=1+2",
        "company": "'=1+2",
        "channel": "'+cmd|' /C calc'!A0",
        "language": "'-2+3",
    }
    paths = []
    for by_copy in (True, False):
        monkeypatch.setattr(exports, "PIVOT_IN_SQL", by_copy)
        paths.append(media / f"safe-{by_copy}.csv")
        for row in csv_rows(wave, paths[-1]):
            assert {k: row[k] for k in expected} == expected
    for row in xlsx_rows(wave, media / "safe.xlsx"):
        assert {k: row[k] for k in expected} == expected
    book = openpyxl.load_workbook(media / "safe.xlsx")
    company = Company.objects.get()
    values = list(book["values"].iter_rows(values_only=True))
    assert ("company", "'=1+2", company.pk, "'@SUM(A1)", "'@SUM(A1)") in values
    codebook = {r[0]: r for r in book["codebook"].iter_rows(values_only=True)}
    assert codebook["comment"][1:3] == ("'=evil()", "'=evil()")
    assert all(
        not (isinstance(v, str) and v.startswith(("=", "+", "-", "@")))
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
    )


def test_xlsx_holds_the_same_cells_as_the_csv(media: Path) -> None:
    """The XLSX rows are written in one piece each: the same values as the CSV, text that XML
    or XlsxWriter must escape included, numbers as numbers, the time as a date."""
    wave, _result_set = weighted_wave()
    tricky = ' <b>&amp; "svar"</b>\tog _x0041_ og \x01 slutt '
    answer(
        wave,
        {
            "contacted_cs": "yes",
            "company": "fjordbanken",
            "channel": "email",
            "satisfaction": 3,
            "wait_minutes": 2.25,
            "comment": tricky,
        },
    )
    from_csv = csv_rows(wave, media / "same.csv")
    from_xlsx = xlsx_rows(wave, media / "same.xlsx")
    assert len(from_csv) == len(from_xlsx) == len(PEOPLE) + 2
    for in_csv, in_xlsx in zip(from_csv, from_xlsx, strict=True):
        assert list(in_csv) == list(in_xlsx)
        for name, text in in_csv.items():
            cell = in_xlsx[name]
            if name == "submitted_at":
                stamp = datetime.datetime.fromisoformat(text).replace(tzinfo=None)
                assert cell.replace(microsecond=0) == stamp  # the CSV has whole seconds
            elif isinstance(cell, int | float):
                assert cell == float(text), name
            else:  # Excel reads control characters back from their _xHHHH_ escapes
                assert unescape(cell or "") == text, name
    assert unescape(from_xlsx[-1]["comment"]) == tricky.strip()
