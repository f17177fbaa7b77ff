"""Exports of a wave's responses: CSV, XLSX, SPSS ``.sav`` and a codebook, written by a job.

Rows: one per response that counts, i.e. submitted or approved and not marked invalid, in the
order they were created. Screened-out responses are left out unless ``include_screened_out`` is
set; they then carry their screening answer (kept in their draft: they have no answer rows) and
nothing more. Drafts and returned observer reports are never exported.

Columns: ``response_id, status, submitted_at, language, company_slug, channel_code, gender,
age_group, region, weight, score``, then one variable per question named by its key. A
multiple-choice question becomes one 0/1 variable per option (``<key>_<option>``). A name that
is already taken (or is not a valid SPSS name) is adjusted, and the codebook says to what.

Coding: CSV and XLSX hold option codes as stored (``yes``, ``phone``, a company's slug), numbers
as numbers and ``N/A`` where the respondent chose "not applicable"; an empty cell is a question
that was not shown or not answered. The ``.sav`` file holds numeric codes with value labels:
options 1…k in their order, channels 1…k in the catalog's order, companies by their id; N/A is
-1, labelled and declared user-missing. Variable and value labels are the Norwegian texts (the
wave's language). The codebook lists every variable with its nb and en label, type, role,
section and values; it is a file of its own (format ``codebook``) and two extra sheets of the
XLSX.

CSV is comma-separated with a dot for decimals, UTF-8 with a byte-order mark so that Excel reads
æøå right (the XLSX is the better choice for Excel: it needs no import settings). Times are ISO
8601 in Norwegian time with the offset (naive Norwegian time in XLSX and SPSS). Free text that a
spreadsheet would run as a formula gets a leading ``'`` in the CSV and is stored as text in the
XLSX.

Memory stays flat: responses are read in keyset chunks of ``CHUNK`` with their answers (two
queries a chunk, no long-held cursor), and CSV and XLSX rows go to the file as they are made
(openpyxl's write-only mode). pyreadstat writes a ``.sav`` from a whole data frame, so that
format keeps one typed array per variable (8 bytes a numeric cell; text stays Python strings) and
grows with the wave: about 1.7 MB per 1,000 responses of 20 questions. Files are written beside
their final name and renamed when complete, so a download never sees half a file. Figures:
``bench/export.py`` and bench/RESULTS.md.
"""

import contextlib
import csv
import json
import math
import os
import re
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kundeservice.errors import DomainError
from kundeservice.jobs import job_advance, job_start
from kundeservice.models import Job, JobStatus
from kundeservice.tasks import enqueue_on_commit
from surveys.branching import NA as BRANCHING_NA
from surveys.models import (
    Answer,
    Channel,
    Company,
    Gender,
    Question,
    QuestionRole,
    QuestionType,
    Region,
    Response,
    ResponseStatus,
    Wave,
)
from surveys.selectors import questionnaire_structure

EXPORT_JOB = "export_wave"
EXPORT_DIR = "exports"
CHUNK = 5000
NA_TEXT = "N/A"
NA_CODE = -1.0
STALE_AFTER = timedelta(hours=1)


class ExportFormat(models.TextChoices):
    CSV = "csv", gettext_lazy("CSV (for R, Python, Stata and other tools)")
    XLSX = "xlsx", gettext_lazy("Excel workbook, with the codebook")
    SAV = "sav", gettext_lazy("SPSS (.sav), with variable and value labels")
    CODEBOOK = "codebook", gettext_lazy("Codebook only (Excel)")


EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "sav": "sav", "codebook": "xlsx"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
}


class _NotApplicable:
    """The .sav writer's marker for N/A, which cannot be mistaken for an option code."""

    def __repr__(self) -> str:
        return "N/A"


NA = _NotApplicable()


def export_start(
    *, wave: Wave, file_format: str, include_screened_out: bool = False, user: Any = None
) -> Job:
    """Start exporting a wave in the background; the job shows progress and, when done, the
    file. The same export already waiting or running is returned instead of a second one."""
    from surveys.tasks import export_wave

    if file_format not in ExportFormat.values:
        raise DomainError(
            {"format": [_("Choose CSV, Excel, SPSS or the codebook.")]}, code="format"
        )
    params = {"format": file_format, "include_screened_out": bool(include_screened_out)}
    with transaction.atomic():
        for job in Job.objects.filter(
            kind=EXPORT_JOB,
            subject=f"wave:{wave.pk}",
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
            # One that has not moved for an hour was lost (no broker, a killed worker).
            updated_at__gte=timezone.now() - STALE_AFTER,
        ):
            if all(job.result.get(k) == v for k, v in params.items()):
                return job
        job = Job.objects.create(
            kind=EXPORT_JOB,
            subject=f"wave:{wave.pk}",
            result=params,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        enqueue_on_commit(export_wave, job_id=job.pk, wave_id=wave.pk)
    return job


def export_run(*, job_id: int, wave_id: int) -> dict[str, Any]:
    """Write the file a job asks for, advancing the job as rows are written. Returns what the
    finished job's ``result`` holds: the parameters, the file and the row count."""
    job = Job.objects.get(pk=job_id, kind=EXPORT_JOB)
    wave = Wave.objects.select_related("questionnaire").get(pk=wave_id)
    params = {
        "format": job.result.get("format", ExportFormat.CSV),
        "include_screened_out": bool(job.result.get("include_screened_out")),
    }
    file_format = params["format"]
    if file_format not in ExportFormat.values:
        raise DomainError(_("Choose CSV, Excel, SPSS or the codebook."), code="format")
    relative = f"{EXPORT_DIR}/{wave.slug}-{file_format}-{job_id}.{EXTENSIONS[file_format]}"
    total = (
        1
        if file_format == ExportFormat.CODEBOOK
        else responses_to_export(
            wave=wave, include_screened_out=params["include_screened_out"]
        ).count()
    )
    # A rerun (a worker was lost) starts over: the file is rewritten, so is the count.
    Job.objects.filter(pk=job_id).update(done=0)
    job_start(job_id=job_id, total=total)
    summary = wave_export(
        wave=wave,
        file_format=file_format,
        path=Path(settings.MEDIA_ROOT) / relative,
        include_screened_out=params["include_screened_out"],
        progress=lambda n: job_advance(job_id=job_id, by=n),
    )
    if file_format == ExportFormat.CODEBOOK:
        job_advance(job_id=job_id, by=1)
    return {
        **params,
        "file": relative,
        "filename": export_filename(wave=wave, file_format=file_format),
        "rows": summary.rows,
        "variables": summary.variables,
    }


@dataclass(frozen=True)
class ExportFile:
    path: Path
    filename: str
    content_type: str


def export_file(*, job: Job) -> ExportFile | None:
    """The file of a finished export job, or ``None`` when the job is no finished export or
    its file is gone."""
    if job.kind != EXPORT_JOB or job.status != JobStatus.DONE:
        return None
    relative = str(job.result.get("file") or "")
    root = (Path(settings.MEDIA_ROOT) / EXPORT_DIR).resolve()
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    if not relative or root not in path.parents or not path.is_file():
        return None
    suffix = path.suffix.lstrip(".")
    return ExportFile(
        path=path,
        filename=str(job.result.get("filename") or path.name),
        content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
    )


def export_filename(*, wave: Wave, file_format: str) -> str:
    if file_format == ExportFormat.CODEBOOK:
        return f"{wave.slug}-codebook.xlsx"
    return f"{wave.slug}.{EXTENSIONS[file_format]}"


def responses_to_export(*, wave: Wave, include_screened_out: bool = False) -> QuerySet[Response]:
    """The responses an export holds, oldest first."""
    statuses = [ResponseStatus.SUBMITTED, ResponseStatus.APPROVED]
    if include_screened_out:
        statuses.append(ResponseStatus.SCREENED_OUT)
    return Response.objects.filter(
        wave=wave, status__in=statuses, invalidated_at__isnull=True
    ).order_by("pk")


def export_answers(*, wave: Wave, first: int, last: int) -> Any:
    """The answers of responses ``first``…``last`` (by id) of a wave, by response, as tuples
    ``(response_id, question_id, text, number, choices JSON, is_na)``."""
    return (
        Answer.objects.filter(wave=wave, response_id__gte=first, response_id__lte=last)
        .order_by("response_id")
        .annotate(choices_json=Cast("value_choices", output_field=TextField()))
        .values_list(
            "response_id", "question_id", "value_text", "value_number", "choices_json", "is_na"
        )
    )


@dataclass(frozen=True)
class ExportSummary:
    rows: int
    variables: int


def wave_export(
    *,
    wave: Wave,
    file_format: str,
    path: Path,
    include_screened_out: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ExportSummary:
    """Write ``wave``'s responses (or only its codebook) to ``path`` in ``file_format``,
    calling ``progress`` with the number of rows after each chunk."""
    if file_format not in ExportFormat.values:
        raise DomainError(_("Choose CSV, Excel, SPSS or the codebook."), code="format")
    layout = export_layout(wave=wave)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    rows = 0
    try:
        if file_format == ExportFormat.CODEBOOK:
            _write_codebook_workbook(partial, layout.variables)
        else:
            writer = _WRITERS[file_format](partial, layout.variables)
            na: Any = NA if file_format == ExportFormat.SAV else NA_TEXT
            try:
                for chunk in _response_rows(
                    wave=wave, layout=layout, include_screened_out=include_screened_out, na=na
                ):
                    writer.write(chunk)
                    rows += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
            except BaseException:
                writer.discard()  # its open file (and Excel's temporary one) goes now
                raise
            writer.close()
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return ExportSummary(rows=rows, variables=len(layout.variables))


# Variables and the codebook ------------------------------------------------------------------

# How an answer fills its variable(s): which value column it reads.
TEXT, NUMBER, CHOICES = 0, 1, 2
FIXED = [
    # name, kind, label
    ("response_id", "integer", gettext_lazy("Response number")),
    ("status", "string", gettext_lazy("Status of the response")),
    ("submitted_at", "datetime", gettext_lazy("Submitted (Norwegian time)")),
    ("language", "string", gettext_lazy("Language answered in")),
    ("company_slug", "string", gettext_lazy("Company the response is about")),
    ("channel_code", "string", gettext_lazy("Channel of the contact")),
    ("gender", "string", gettext_lazy("Gender (weighting cell)")),
    ("age_group", "string", gettext_lazy("Age group (weighting cell)")),
    ("region", "string", gettext_lazy("County (weighting cell)")),
    ("weight", "number", gettext_lazy("Weight")),
    ("score", "number", gettext_lazy("Score, 0–100")),
]
NOT_CHOSEN = gettext_lazy("Not chosen")
CHOSEN = gettext_lazy("Chosen")
NOT_APPLICABLE = gettext_lazy("Not applicable")
SPSS_NAME = re.compile(r"[^A-Za-z0-9_]")
SPSS_RESERVED = {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class ValueLabel:
    value: str | int  # as CSV and XLSX hold it
    code: float | str  # as the .sav file holds it
    label: str
    label_en: str


@dataclass
class Variable:
    name: str
    kind: str  # integer, string, datetime, number, choice, flag, text
    label: str
    label_en: str
    type: str
    question: str = ""
    section: str = ""
    role: str = ""
    allow_na: bool = False
    free_text: bool = False
    values: list[ValueLabel] = field(default_factory=list)

    @property
    def numeric_in_sav(self) -> bool:
        return self.kind in {"integer", "number", "choice", "flag"}


@dataclass
class Layout:
    variables: list[Variable]
    # question id → (what it reads, first column, {option value: column} for multiple choice)
    slots: dict[int, tuple[int, int, dict[str, int]]]
    # (question key, column) of screening questions, filled from screened-out drafts
    screening: list[tuple[str, int]] = field(default_factory=list)


def export_layout(*, wave: Wave) -> Layout:
    """The variables of a wave's export, in column order, and where each answer goes."""
    structure = questionnaire_structure(questionnaire=wave.questionnaire)
    taken: set[str] = set()
    variables: list[Variable] = []
    slots: dict[int, tuple[int, int, dict[str, int]]] = {}
    screening: list[tuple[str, int]] = []
    for name, kind, label in FIXED:
        variables.append(_fixed_variable(_unique(name, taken), kind, label))
    companies: list[ValueLabel] | None = None
    for section_view in structure.sections:
        section = section_view.section
        for view in section_view.questions:
            question = view.question
            common: dict[str, Any] = {
                "question": question.key,
                "section": section.key,
                "role": question.role,
                "allow_na": question.allow_na,
                "type": _type_name(question),
            }
            if question.type == QuestionType.MULTIPLE_CHOICE:
                columns: dict[str, int] = {}
                for position, option in enumerate(question.options.all(), start=1):
                    columns[option.value] = len(variables)
                    variables.append(
                        Variable(
                            name=_unique(f"{question.key}_{option.value}", taken),
                            kind="flag",
                            label=_one_line(f"{question.text}: {option.label}"),
                            label_en=_one_line(
                                f"{question.text_en or question.text}: "
                                f"{option.label_en or option.label}"
                            ),
                            values=_flag_values(),
                            **{**common, "type": f"multiple_choice option {position}"},
                        )
                    )
                slots[question.pk] = (CHOICES, -1, columns)
                continue
            if question.type == QuestionType.COMPANY:
                companies = companies if companies is not None else _company_values()
                values, kind, reads = companies, "choice", TEXT
            elif question.has_options or question.type in {
                QuestionType.YES_NO,
                QuestionType.CHANNEL,
            }:
                values, kind, reads = _option_values(question), "choice", TEXT
            elif question.type in {
                QuestionType.RATING,
                QuestionType.NPS,
                QuestionType.NUMBER,
                QuestionType.DURATION,
            }:
                values, kind, reads = _scale_values(question), "number", NUMBER
            else:
                values, kind, reads = [], "text", TEXT
            slots[question.pk] = (reads, len(variables), {})
            if question.role == QuestionRole.SCREENING:
                screening.append((question.key, len(variables)))
            variables.append(
                Variable(
                    name=_unique(question.key, taken),
                    kind=kind,
                    label=_one_line(question.text),
                    label_en=_one_line(question.text_en or question.text),
                    free_text=question.type == QuestionType.TEXT,
                    values=values,
                    **common,
                )
            )
    return Layout(variables=variables, slots=slots, screening=screening)


def codebook_rows(variables: Sequence[Variable]) -> tuple[list[list[Any]], list[list[Any]]]:
    """The codebook as two tables: one row per variable, and one row per labelled value."""
    na_note = f"{NA_TEXT} (CSV/XLSX), {NA_CODE:g} (SPSS)"
    header = ["variable", "label_nb", "label_en", "type", "role", "section", "question"]
    header += ["not_applicable", "values"]
    by_variable: list[list[Any]] = [header]
    values: list[list[Any]] = [["variable", "value", "spss_code", "label_nb", "label_en"]]
    for var in variables:
        summary = "; ".join(f"{v.value} = {v.label}" for v in var.values[:30])
        if len(var.values) > 30:
            summary += "; …"
        by_variable.append(
            [
                var.name,
                var.label,
                var.label_en,
                var.type,
                var.role,
                var.section,
                var.question,
                na_note if var.allow_na else "",
                summary,
            ]
        )
        for v in var.values:
            values.append([var.name, v.value, v.code, v.label, v.label_en])
        if var.allow_na:
            values.append([var.name, NA_TEXT, NA_CODE, _na_label("nb"), _na_label("en")])
    return by_variable, values


def _fixed_variable(name: str, kind: str, label: Any) -> Variable:
    values: list[ValueLabel] = []
    if name == "status":
        values = _choices_values(ResponseStatus.choices, numbered=False)
    elif name == "channel_code":
        values = _choices_values(Channel.choices, numbered=False)
    elif name == "gender":
        values = _choices_values(Gender.choices, numbered=False)
    elif name == "region":
        values = _choices_values(Region.choices, numbered=False)
    return Variable(
        name=name,
        kind=kind,
        label=_in_language(label, "nb"),
        label_en=_in_language(label, "en"),
        type=kind,
        values=values,
    )


def _option_values(question: Question) -> list[ValueLabel]:
    if question.type == QuestionType.CHANNEL:
        return _choices_values(Channel.choices, numbered=True)
    return [
        ValueLabel(
            value=o.value,
            code=float(position),
            label=o.label,
            label_en=o.label_en or o.label,
        )
        for position, o in enumerate(question.options.all(), start=1)
    ]


def _choices_values(choices: Sequence[tuple[str, Any]], *, numbered: bool) -> list[ValueLabel]:
    return [
        ValueLabel(
            value=value,
            code=float(position) if numbered else value,
            label=_in_language(label, "nb"),
            label_en=_in_language(label, "en"),
        )
        for position, (value, label) in enumerate(choices, start=1)
    ]


def _company_values() -> list[ValueLabel]:
    return [
        ValueLabel(value=slug, code=float(pk), label=name, label_en=name)
        for pk, slug, name in Company.objects.order_by("pk").values_list("pk", "slug", "name")
    ]


def _scale_values(question: Question) -> list[ValueLabel]:
    labels = []
    if question.scale_min is not None and question.scale_min_label:
        labels.append((question.scale_min, question.scale_min_label, question.scale_min_label_en))
    if question.scale_max is not None and question.scale_max_label:
        labels.append((question.scale_max, question.scale_max_label, question.scale_max_label_en))
    return [
        ValueLabel(value=value, code=float(value), label=nb, label_en=en or nb)
        for value, nb, en in labels
    ]


def _flag_values() -> list[ValueLabel]:
    return [
        ValueLabel(0, 0.0, _in_language(NOT_CHOSEN, "nb"), _in_language(NOT_CHOSEN, "en")),
        ValueLabel(1, 1.0, _in_language(CHOSEN, "nb"), _in_language(CHOSEN, "en")),
    ]


def _na_label(language: str) -> str:
    return _in_language(NOT_APPLICABLE, language)


def _type_name(question: Question) -> str:
    if question.type == QuestionType.NPS:
        return "nps 0-10"
    if question.type == QuestionType.RATING:
        return f"rating {question.scale_min}-{question.scale_max}"
    return str(question.type)


def _in_language(text: Any, language: str) -> str:
    with translation.override(language):
        return str(text)


def _unique(name: str, taken: set[str]) -> str:
    """A valid SPSS variable name (letters, digits, _; a letter first; at most 64 characters;
    not a reserved word), unique ignoring case, so every format can use the same names."""
    base = SPSS_NAME.sub("_", name)[:60] or "v"
    if not base[0].isalpha():
        base = f"v{base}"[:60]
    if base.lower() in SPSS_RESERVED:
        base = f"{base}_"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate.lower())
    return candidate


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fit_bytes(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` bytes of UTF-8 at a character boundary (SPSS counts bytes:
    256 for a variable label, 120 for a value label)."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


# Reading: keyset chunks of responses, their answers pivoted into rows -----------------------

RESPONSE_FIELDS = (
    "pk",
    "status",
    "submitted_text",
    "language",
    "company__slug",
    "channel",
    "gender",
    "age_group",
    "region",
    "weight",
    "score",
)


def _response_rows(
    *, wave: Wave, layout: Layout, include_screened_out: bool, na: Any
) -> Iterator[list[list[Any]]]:
    """Rows of ``CHUNK`` responses at a time, in id order, with their answers in place."""
    responses = responses_to_export(wave=wave, include_screened_out=include_screened_out).annotate(
        # Parsed below with fromisoformat: much cheaper than the driver's datetime conversion.
        submitted_text=Cast("submitted_at", output_field=TextField())
    )
    empty = [None] * (len(layout.variables) - len(RESPONSE_FIELDS))
    # The hot loop (a million answers for a big wave) does one lookup per answer: a text
    # answer's column is stored as is, a number's as its bitwise complement (negative).
    single = {q: c if reads == TEXT else ~c for q, (reads, c, o) in layout.slots.items() if not o}
    options_of = {q: o for q, (_reads, _c, o) in layout.slots.items() if o}
    loads = json.loads
    last = 0
    while True:
        chunk = _fetch_all(responses.filter(pk__gt=last).values_list(*RESPONSE_FIELDS)[:CHUNK])
        if not chunk:
            return
        rows = [[r[0], r[1], _utc(r[2]), r[3], r[4] or "", *r[5:], *empty] for r in chunk]
        by_id = {row[0]: row for row in rows}
        answers = _fetch_all(export_answers(wave=wave, first=chunk[0][0], last=chunk[-1][0]))
        current, row = None, None
        for response_id, question_id, text, number, choices, is_na in answers:
            if response_id != current:  # answers come by response: one lookup per response
                current, row = response_id, by_id.get(response_id)
            if row is None:
                continue  # an invalid or draft response in the id range
            column = single.get(question_id)
            if column is not None:
                if is_na:
                    row[column if column >= 0 else ~column] = na
                elif column >= 0:
                    row[column] = text
                elif number is not None:
                    row[~column] = int(number) if number.is_integer() else number
                continue
            options = options_of.get(question_id)
            if options is None:
                continue  # a question the layout does not know
            if is_na:
                for i in options.values():
                    row[i] = na
            else:
                chosen = set(loads(choices)) if choices else ()
                for value, i in options.items():
                    row[i] = 1 if value in chosen else 0
        if include_screened_out and layout.screening:
            _fill_screening(rows, layout.screening, na)
        yield rows
        last = chunk[-1][0]


def _utc(text: str | None) -> datetime | None:
    """A timestamp as the database writes it as text (PostgreSQL with +00, SQLite without)."""
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _fetch_all(query: Any) -> list[tuple[Any, ...]]:
    """The query's rows as the database driver returns them: a chunk's answers are many small
    rows, and Django's row-by-row conversion would cost more than reading them (the columns need
    none: ids, text, floats, JSON cast to text, and a flag SQLite gives as 0 or 1). PostgreSQL
    sends them in its binary format, which both ends produce and parse faster than text."""
    sql, params = query.query.sql_with_params()
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, binary=True)
            return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _fill_screening(rows: list[list[Any]], screening: list[tuple[str, int]], na: Any) -> None:
    screened = {row[0]: row for row in rows if row[1] == ResponseStatus.SCREENED_OUT}
    if not screened:
        return
    drafts = Response.objects.filter(pk__in=list(screened)).values_list("pk", "draft")
    for pk, draft in drafts:
        for key, column in screening:
            value = (draft or {}).get(key)
            if value is not None:
                screened[pk][column] = na if value == BRANCHING_NA else value


# Writers --------------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _CsvWriter:
    def __init__(self, path: Path, variables: Sequence[Variable]) -> None:
        self.file = path.open("w", newline="", encoding="utf-8-sig")
        self.writer = csv.writer(self.file)
        self.writer.writerow([v.name for v in variables])
        self.free_text = [i for i, v in enumerate(variables) if v.free_text]

    def write(self, rows: list[list[Any]]) -> None:
        zone = timezone.get_current_timezone()
        for row in rows:
            if row[2] is not None:
                row[2] = row[2].astimezone(zone).isoformat(timespec="seconds")
            for i in self.free_text:
                value = row[i]
                if value and value.startswith(FORMULA_START):
                    row[i] = "'" + value
        self.writer.writerows(rows)

    def close(self) -> None:
        self.file.close()

    def discard(self) -> None:
        with contextlib.suppress(OSError):  # flushing may fail as the write did
            self.file.close()


class _XlsxWriter:
    def __init__(self, path: Path, variables: Sequence[Variable]) -> None:
        from openpyxl import Workbook

        self.path = path
        self.variables = variables
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet("data")
        self.sheet.append([v.name for v in variables])
        self.text = [i for i, v in enumerate(variables) if v.kind in {"text", "choice", "string"}]

    def write(self, rows: list[list[Any]]) -> None:
        from openpyxl.cell import WriteOnlyCell

        for row in rows:
            if row[2] is not None:
                row[2] = timezone.localtime(row[2]).replace(tzinfo=None)
            for i in self.text:
                value = row[i]
                if value and (value[0] == "=" or ILLEGAL_XML.search(value)):
                    # Kept as text: a respondent's "=…" is no formula, and XML has no place for
                    # control characters.
                    cell = WriteOnlyCell(self.sheet, value=ILLEGAL_XML.sub("", value))
                    cell.data_type = "s"
                    row[i] = cell
            self.sheet.append(row)

    def close(self) -> None:
        _add_codebook_sheets(self.workbook, self.variables)
        self.workbook.save(self.path)

    def discard(self) -> None:
        """Give up: openpyxl streams the sheet to a temporary file of its own, which would
        otherwise stay until the worker exits (and its writer complain when collected). It
        never raises: the error that made the export give up is the one to report."""
        writer = getattr(self.sheet, "_writer", None)
        rows = getattr(self.sheet, "_rows", None)
        with contextlib.suppress(Exception):
            self.sheet.close()  # ends openpyxl's generators; may fail on a full disk too
        for generator in (rows, writer):  # when it did, end them here (a no-op otherwise)
            if generator is not None:
                with contextlib.suppress(Exception):
                    generator.close()
        if writer is not None:
            with contextlib.suppress(OSError, ValueError):
                writer.cleanup()


class _SavWriter:
    """Collects one typed array per variable; pyreadstat writes them at the end."""

    def __init__(self, path: Path, variables: Sequence[Variable]) -> None:
        self.path = path
        self.variables = variables
        self.columns: list[Any] = []
        self.codes: list[dict[Any, float]] = []
        for var in variables:
            if var.kind == "datetime":
                self.columns.append(array("q"))
            elif var.numeric_in_sav:
                self.columns.append(array("d"))
            else:
                self.columns.append([])
            choice = var.kind == "choice"
            self.codes.append({v.value: float(v.code) for v in var.values} if choice else {})

    def write(self, rows: list[list[Any]]) -> None:
        nan = math.nan
        for j, var in enumerate(self.variables):
            column = self.columns[j]
            if var.kind == "datetime":
                column.extend(_epoch_microseconds(row[j]) for row in rows)
            elif var.kind == "choice":
                codes = self.codes[j]
                for row in rows:
                    v = row[j]
                    if v is None:
                        column.append(nan)
                    elif v is NA:
                        column.append(NA_CODE)
                    else:
                        code = codes.get(v)
                        column.append(code if code is not None else self._add(j, v))
            elif var.numeric_in_sav:
                column.extend(
                    nan if v is None else NA_CODE if v is NA else float(v)
                    for v in (row[j] for row in rows)
                )
            else:
                column.extend(
                    "" if v is None else NA_TEXT if v is NA else str(v)
                    for v in (row[j] for row in rows)
                )

    def _add(self, j: int, value: str) -> float:
        """A code missing from the labels (an option since removed): give it the next number."""
        codes = self.codes[j]
        code = max([0.0, *codes.values()]) + 1
        codes[value] = code
        self.variables[j].values.append(ValueLabel(value, code, value, value))
        return code

    def discard(self) -> None:
        self.columns = []  # nothing is open: the columns are only in memory

    def close(self) -> None:
        import numpy as np
        import pandas as pd
        import pyreadstat

        data: dict[str, Any] = {}
        for var, column in zip(self.variables, self.columns, strict=True):
            if var.kind == "datetime":
                data[var.name] = np.frombuffer(column, dtype=np.int64).view("datetime64[us]")
            elif var.numeric_in_sav:
                data[var.name] = np.frombuffer(column, dtype=np.float64)
            else:
                data[var.name] = pd.Series(column, dtype=object)
        frame = pd.DataFrame(data, copy=False)
        labels = {
            var.name: {float(v.code): _fit_bytes(v.label, 120) for v in var.values}
            for var in self.variables
            if var.numeric_in_sav and var.values
        }
        missing: dict[str, list[Any]] = {}
        for var in self.variables:
            if var.allow_na:
                missing[var.name] = [NA_CODE] if var.numeric_in_sav else [NA_TEXT]
                if var.numeric_in_sav:
                    labels.setdefault(var.name, {})[NA_CODE] = _na_label("nb")
        pyreadstat.write_sav(
            frame,
            str(self.path),
            column_labels={v.name: _fit_bytes(v.label, 256) for v in self.variables},
            variable_value_labels=labels,
            missing_ranges=missing,
            variable_measure={v.name: _measure(v) for v in self.variables},
            variable_format={v.name: f for v in self.variables if (f := _spss_format(v))},
        )


def _epoch_microseconds(value: datetime | None) -> int:
    """Naive Norwegian time as microseconds since 1970, or NaT's bit pattern when missing."""
    if value is None:
        return -(2**63)
    local = timezone.localtime(value).replace(tzinfo=None)
    delta = local - datetime(1970, 1, 1)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _measure(var: Variable) -> str:
    if var.kind in {"number", "integer"}:
        return "ordinal" if var.type.startswith(("rating", "nps")) else "scale"
    if var.kind == "datetime":
        return "scale"
    return "nominal"


def _spss_format(var: Variable) -> str | None:
    if var.kind in {"choice", "flag", "integer"}:
        return "F12.0" if var.kind == "integer" else "F8.0"
    if var.name == "weight":
        return "F10.4"
    if var.kind == "number":
        return "F8.0" if var.type.startswith(("rating", "nps")) else "F10.2"
    if var.kind == "datetime":
        return "DATETIME20"
    return None


def _write_codebook_workbook(path: Path, variables: Sequence[Variable]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    _add_codebook_sheets(workbook, variables)
    workbook.save(path)


def _add_codebook_sheets(workbook: Any, variables: Sequence[Variable]) -> None:
    by_variable, values = codebook_rows(variables)
    for title, table in (("codebook", by_variable), ("values", values)):
        sheet = workbook.create_sheet(title)
        for row in table:
            sheet.append([ILLEGAL_XML.sub("", v) if isinstance(v, str) else v for v in row])


_WRITERS: dict[str, Callable[[Path, Sequence[Variable]], Any]] = {
    ExportFormat.CSV: _CsvWriter,
    ExportFormat.XLSX: _XlsxWriter,
    ExportFormat.SAV: _SavWriter,
}
