"""Exports of a wave: the right rows and values in CSV, XLSX and SPSS, labels, the codebook,
and the background job that writes them."""

import csv
import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pyreadstat
import pytest
from django.utils import timezone, translation

from kundeservice.errors import DomainError
from kundeservice.models import Job, JobStatus
from surveys.branching import NA
from surveys.models import Company, Response, ResponseStatus, Wave
from surveys.services import exports
from surveys.services.exports import ExportFormat, export_start, wave_export
from surveys.services.questionnaires import questionnaire_create
from surveys.services.responding import response_for_token, response_invalidate, token_hash
from surveys.services.submissions import submission_accept, submissions_expand
from tests.factories import CompanyFactory, PanelistFactory, UserFactory, WaveFactory, invite

pytestmark = pytest.mark.django_db

SPEC: dict[str, Any] = {
    "slug": "eksporttest",
    "title": "Eksporttest",
    "title_en": "Export test",
    "sections": [
        {
            "key": "screening",
            "title": "Kontakt",
            "questions": [
                {
                    "key": "contacted_cs",
                    "type": "yes_no",
                    "role": "screening",
                    "text": "Har du vært i kontakt med kundeservice?",
                    "text_en": "Have you contacted customer service?",
                }
            ],
        },
        {
            "key": "contact",
            "title": "Kontakten",
            "title_en": "The contact",
            "relevant": {"q": "contacted_cs", "in": ["yes"]},
            "questions": [
                {
                    "key": "company",
                    "type": "company",
                    "role": "company",
                    "text": "Hvilken virksomhet?",
                    "text_en": "Which company?",
                },
                {
                    "key": "channel",
                    "type": "channel",
                    "role": "channel",
                    "text": "Hvilken kanal?",
                    "text_en": "Which channel?",
                },
                {
                    "key": "satisfaction",
                    "type": "rating",
                    "scale": [1, 6],
                    "allow_na": True,
                    "text": "Hvor fornøyd var du med kontakten?",
                    "text_en": "How satisfied were you?",
                    "scale_labels": {
                        "min": "Svært misfornøyd",
                        "min_en": "Very dissatisfied",
                        "max": "Svært fornøyd",
                        "max_en": "Very satisfied",
                    },
                },
                {
                    "key": "reasons",
                    "type": "multiple_choice",
                    "allow_na": True,
                    "required": False,
                    "text": "Hvorfor tok du kontakt?",
                    "text_en": "Why did you get in touch?",
                    "options": [
                        {"value": "invoice", "label": "Faktura", "label_en": "Invoice"},
                        {"value": "fault", "label": "Feil", "label_en": "Fault"},
                        {"value": "other", "label": "Annet", "label_en": "Other"},
                    ],
                },
                {
                    "key": "wait_minutes",
                    "type": "duration",
                    "required": False,
                    "text": "Hvor lenge ventet du (minutter)?",
                    "text_en": "How long did you wait (minutes)?",
                },
                {
                    "key": "comment",
                    "type": "text",
                    "required": False,
                    "text": "Vil du fortelle oss noe mer?",
                    "text_en": "Anything else?",
                },
            ],
        },
    ],
}
FORMULA = '=HYPERLINK("http://example.invalid","klikk") æøå'


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def answer(wave: Wave, answers: dict[str, Any], **panelist: Any) -> Response:
    """A panelist who answers the whole questionnaire through the API, saved by the worker."""
    token = invite(wave, PanelistFactory(**panelist))
    submission_accept(token=token, answers=answers)
    submissions_expand()
    return Response.objects.get(invitation__token_hash=token_hash(token))


@pytest.fixture
def wave() -> Wave:
    return wave_with_responses()


def wave_with_responses() -> Wave:
    """Two responses that count, one marked invalid, one screened out, one draft."""
    wave = WaveFactory(questionnaire=questionnaire_create(spec=SPEC))
    CompanyFactory(slug="fjordbanken", name="Fjordbanken ASA")
    CompanyFactory(slug="nettbutikken", name="Nettbutikken AS")
    answer(
        wave,
        {
            "contacted_cs": "yes",
            "company": "fjordbanken",
            "channel": "phone",
            "satisfaction": 5,
            "reasons": ["invoice", "other"],
            "wait_minutes": 3.5,
            "comment": FORMULA,
        },
        gender="female",
        birth_year=1960,
        region="vestland",
    )
    answer(
        wave,
        {
            "contacted_cs": "yes",
            "company": "nettbutikken",
            "channel": "chat",
            "satisfaction": NA,
            "reasons": NA,
        },
        gender="male",
        birth_year=2000,
        region="oslo",
    )
    invalid = answer(
        wave,
        {"contacted_cs": "yes", "company": "fjordbanken", "channel": "email", "satisfaction": 1},
    )
    response_invalidate(response=invalid, by=UserFactory(), reason="Tullesvar")
    answer(wave, {"contacted_cs": "no"})
    response_for_token(token=invite(wave))  # opened, never submitted
    return wave


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_csv_holds_the_responses_that_count_with_codes_flags_and_na(
    wave: Wave, media: Path
) -> None:
    path = media / "out.csv"
    summary = wave_export(wave=wave, file_format=ExportFormat.CSV, path=path)

    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads æøå right
    rows = read_csv(path)
    assert summary.rows == len(rows) == 2
    assert list(rows[0])[:13] == [
        "response_id",
        "status",
        "submitted_at",
        "language",
        "company_slug",
        "channel_code",
        "gender",
        "age_group",
        "region",
        "weight",
        "weight_cell",
        "in_results",
        "score",
    ]
    assert list(rows[0])[13:] == [
        "contacted_cs",
        "company",
        "channel",
        "satisfaction",
        "reasons_invoice",
        "reasons_fault",
        "reasons_other",
        "wait_minutes",
        "comment",
    ]
    first, second = rows
    counted = Response.objects.filter(status=ResponseStatus.SUBMITTED, invalidated_at=None)
    assert [int(r["response_id"]) for r in rows] == sorted(counted.values_list("pk", flat=True))
    assert first["status"] == "submitted"
    submitted = datetime.datetime.fromisoformat(first["submitted_at"])
    assert submitted.utcoffset() is not None
    assert abs(submitted - timezone.now()) < datetime.timedelta(minutes=5)
    assert (first["company_slug"], first["channel_code"]) == ("fjordbanken", "phone")
    assert (first["gender"], first["age_group"], first["region"]) == ("female", "60+", "vestland")
    assert first["weight"] == "1.0"
    assert (first["contacted_cs"], first["company"], first["channel"]) == (
        "yes",
        "fjordbanken",
        "phone",
    )
    assert first["satisfaction"] == "5"
    assert (first["reasons_invoice"], first["reasons_fault"], first["reasons_other"]) == (
        "1",
        "0",
        "1",
    )
    assert first["wait_minutes"] == "3.5"
    assert first["comment"] == "'" + FORMULA  # a spreadsheet would run it as a formula
    assert second["satisfaction"] == "N/A"
    assert second["reasons_invoice"] == second["reasons_other"] == "N/A"
    assert second["wait_minutes"] == second["comment"] == ""  # not answered


def test_screened_out_respondents_only_when_asked(wave: Wave, media: Path) -> None:
    path = media / "with.csv"
    wave_export(wave=wave, file_format=ExportFormat.CSV, path=path, include_screened_out=True)
    rows = read_csv(path)
    assert [r["status"] for r in rows] == ["submitted", "submitted", "screened_out"]
    screened = rows[2]
    assert screened["contacted_cs"] == "no"
    assert screened["company"] == screened["satisfaction"] == screened["reasons_fault"] == ""


def test_xlsx_has_the_data_and_the_codebook(wave: Wave, media: Path) -> None:
    path = media / "out.xlsx"
    wave_export(wave=wave, file_format=ExportFormat.XLSX, path=path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["data", "codebook", "values", "weighting"]
    data = list(book["data"].iter_rows(values_only=True))
    header, first, second = data
    row = dict(zip(header, first, strict=True))
    assert isinstance(row["submitted_at"], datetime.datetime)
    assert row["satisfaction"] == 5
    assert (row["reasons_invoice"], row["reasons_fault"]) == (1, 0)
    assert row["wait_minutes"] == 3.5
    assert row["comment"] == "'" + FORMULA  # as in the CSV: no spreadsheet runs it
    comment_cell = book["data"].cell(row=2, column=header.index("comment") + 1)
    assert comment_cell.data_type == "s"  # text, not a formula
    assert dict(zip(header, second, strict=True))["satisfaction"] == "N/A"

    codebook = list(book["codebook"].iter_rows(values_only=True))
    by_name = {r[0]: dict(zip(codebook[0], r, strict=True)) for r in codebook[1:]}
    assert set(by_name) == set(header)
    satisfaction = by_name["satisfaction"]
    assert satisfaction["label_nb"] == "Hvor fornøyd var du med kontakten?"
    assert satisfaction["label_en"] == "How satisfied were you?"
    assert (satisfaction["type"], satisfaction["section"]) == ("rating 1-6", "contact")
    assert satisfaction["not_applicable"]
    assert by_name["company"]["role"] == "company"
    assert by_name["reasons_fault"]["label_en"] == "Why did you get in touch?: Fault"
    values = list(book["values"].iter_rows(values_only=True))
    assert ("contacted_cs", "yes", 1, "Ja", "Yes") in values
    assert ("satisfaction", 6, 6, "Svært fornøyd", "Very satisfied") in values


def test_sav_has_codes_with_variable_and_value_labels(wave: Wave, media: Path) -> None:
    path = media / "out.sav"
    wave_export(wave=wave, file_format=ExportFormat.SAV, path=path)
    data, meta = pyreadstat.read_sav(str(path), output_format="dict", user_missing=True)

    labels = meta.column_names_to_labels
    assert labels["satisfaction"] == "Hvor fornøyd var du med kontakten?"
    assert labels["reasons_other"] == "Hvorfor tok du kontakt?: Annet"
    assert labels["response_id"]
    values = meta.variable_value_labels
    assert values["contacted_cs"] == {1.0: "Ja", 2.0: "Nei"}
    fjordbanken = Company.objects.get(slug="fjordbanken")
    assert values["company"][float(fjordbanken.pk)] == "Fjordbanken ASA"
    assert values["satisfaction"][1.0] == "Svært misfornøyd"
    assert -1.0 in values["satisfaction"]  # N/A, labelled
    assert set(values["reasons_invoice"]) == {0.0, 1.0, -1.0}  # not chosen, chosen, N/A
    assert {"lo": -1.0, "hi": -1.0} in meta.missing_ranges["satisfaction"]
    assert meta.readstat_variable_types["comment"] == "string"

    assert data["contacted_cs"] == [1.0, 1.0]
    assert data["company"][0] == float(fjordbanken.pk)
    assert data["channel"] == [1.0, 2.0]  # phone, chat in the catalog's order
    assert data["satisfaction"] == [5.0, -1.0]
    assert data["reasons_invoice"] == [1.0, -1.0]
    assert data["reasons_fault"][0] == 0.0
    assert data["wait_minutes"][0] == 3.5
    assert data["wait_minutes"][1] is None  # not answered: system-missing
    assert data["comment"] == [FORMULA, ""]
    assert data["company_slug"] == ["fjordbanken", "nettbutikken"]
    assert isinstance(data["submitted_at"][0], datetime.datetime)
    local = timezone.localtime(Response.objects.get(pk=data["response_id"][0]).submitted_at)
    naive = local.replace(tzinfo=None)  # SPSS keeps no time zone: Norwegian time
    assert abs(data["submitted_at"][0] - naive) < datetime.timedelta(milliseconds=1)


def test_the_codebook_alone(wave: Wave, media: Path) -> None:
    path = media / "codebook.xlsx"
    summary = wave_export(wave=wave, file_format=ExportFormat.CODEBOOK, path=path)
    assert summary.rows == 0
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["codebook", "values", "weighting"]
    names = [r[0] for r in book["codebook"].iter_rows(min_row=2, values_only=True)]
    assert names[:2] == ["response_id", "status"]
    assert "reasons_other" in names


def test_an_empty_wave_exports_a_header(media: Path) -> None:
    wave = WaveFactory()
    path = media / "empty.csv"
    assert wave_export(wave=wave, file_format=ExportFormat.CSV, path=path).rows == 0
    assert path.read_text(encoding="utf-8-sig").startswith("response_id,status,")


def test_export_job_reports_progress_to_100_percent(
    wave: Wave, media: Path, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(exports, "CHUNK", 1)  # one progress step per response
    steps: list[int] = []
    real_advance = exports.job_advance

    def advance(*, job_id: int, by: int, message: str = "") -> None:
        real_advance(job_id=job_id, by=by, message=message)
        steps.append(Job.objects.get(pk=job_id).percent)

    monkeypatch.setattr(exports, "job_advance", advance)
    with django_capture_on_commit_callbacks(execute=True):
        job = export_start(wave=wave, file_format=ExportFormat.SAV, user=UserFactory())
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert steps == [50, 100]
    assert (job.done, job.total, job.percent) == (2, 2, 100)
    assert job.result["rows"] == 2
    today = timezone.localdate().isoformat()
    assert job.result["filename"] == f"{wave.study.slug}-{wave.slug}-{today}.sav"
    assert (media / job.result["file"]).is_file()
    assert not list(media.rglob("*.part"))
    assert exports.export_file(job=job) is not None


def test_a_failed_export_says_why_and_leaves_no_file(
    wave: Wave, media: Path, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    def disk_full(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exports._CsvWriter, "write", disk_full)  # SQLite
    monkeypatch.setattr(exports._CsvWriter, "copy", disk_full)  # PostgreSQL
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        job = export_start(wave=wave, file_format=ExportFormat.CSV)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.message == "The export file could not be written: No space left on device"
    assert not [p for p in media.rglob("*") if p.is_file()]
    assert exports.export_file(job=job) is None


def test_a_bad_format_is_refused_and_starts_nothing(wave: Wave) -> None:
    with pytest.raises(DomainError):
        export_start(wave=wave, file_format="pdf")
    assert not Job.objects.exists()


def test_the_same_export_while_it_waits_is_not_started_twice(wave: Wave) -> None:
    first = export_start(wave=wave, file_format=ExportFormat.CSV)
    assert export_start(wave=wave, file_format=ExportFormat.CSV) == first
    assert export_start(wave=wave, file_format=ExportFormat.XLSX) != first


def test_a_lost_export_does_not_block_a_new_one(wave: Wave) -> None:
    lost = export_start(wave=wave, file_format=ExportFormat.CSV)
    Job.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=2))
    assert export_start(wave=wave, file_format=ExportFormat.CSV) != lost


def test_long_labels_are_cut_to_what_spss_holds(media: Path) -> None:
    long_text = "Hvor fornøyd var du med " + "æøå " * 100
    spec = {
        "slug": "lange-etiketter",
        "title": "Lange etiketter",
        "sections": [
            {
                "key": "s",
                "title": "S",
                "questions": [
                    {
                        "key": "q",
                        "type": "single_choice",
                        "text": long_text,
                        "options": [
                            {"value": "a", "label": "ø" * 100},
                            {"value": "b", "label": "Kort"},
                        ],
                    }
                ],
            }
        ],
    }
    wave = WaveFactory(questionnaire=questionnaire_create(spec=spec))
    path = media / "long.sav"
    wave_export(wave=wave, file_format=ExportFormat.SAV, path=path)
    _data, meta = pyreadstat.read_sav(str(path), output_format="dict")
    label = meta.column_names_to_labels["q"]
    assert label.startswith("Hvor fornøyd var du med æøå")
    assert label.endswith("…")
    assert len(label.encode()) <= 256
    assert len(meta.variable_value_labels["q"][1.0].encode()) <= 120
    assert meta.variable_value_labels["q"][2.0] == "Kort"


def test_a_rerun_after_a_lost_worker_starts_over_and_a_finished_job_is_left_alone(
    wave: Wave, media: Path
) -> None:
    from surveys.tasks import export_wave

    job = export_start(wave=wave, file_format=ExportFormat.CSV)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, done=7, total=9)
    export_wave.apply(kwargs={"job_id": job.pk, "wave_id": wave.pk})
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (JobStatus.DONE, 2, 2)
    finished_at = job.finished_at

    assert export_wave.apply(kwargs={"job_id": job.pk, "wave_id": wave.pk}).get() == {
        "skipped": True
    }
    job.refresh_from_db()
    assert job.finished_at == finished_at


def test_a_failed_excel_export_leaves_no_temporary_file(
    wave: Wave,
    media: Path,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
    tmp_path_factory: Any,
) -> None:
    """XlsxWriter streams the sheet to a temporary file of its own: a failed export removes it,
    even when closing that file fails as well."""
    import tempfile

    temporary = tmp_path_factory.mktemp("tmp")
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    sheet_class = exports._streaming_sheet()
    append_rows = sheet_class.append_rows

    def half_then_disk_full(sheet: Any, first: int, rows: Any, style: int) -> int:
        written = append_rows(sheet, first, rows, style)
        if first == 0:
            return written  # the header
        assert any(temporary.rglob("*"))  # the sheet's rows, so far

        def closing_fails_too() -> None:
            raise OSError(28, "No space left on device (closing)")

        monkeypatch.setattr(sheet.row_data_fh, "close", closing_fails_too)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sheet_class, "append_rows", half_then_disk_full)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        job = export_start(wave=wave, file_format=ExportFormat.XLSX)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    # The error reported is the one that stopped the export, not the cleanup's.
    assert job.message == "The export file could not be written: No space left on device"
    assert not list(temporary.rglob("*"))
    assert not [p for p in media.rglob("*") if p.is_file()]
