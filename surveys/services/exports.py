"""Exports of a wave's responses: CSV, XLSX, SPSS ``.sav`` and a codebook, written by a job.

Rows: one per response that counts, i.e. submitted or approved and not marked invalid, in the
order they were created. Screened-out responses are left out unless ``include_screened_out`` is
set; they then carry their screening answer (kept in their draft: they have no answer rows) and
nothing more. Drafts and returned observer reports are never exported.

Columns: ``response_id, status, submitted_at, language, company_slug, channel_code, gender,
age_group, region, weight, weight_cell, in_results, score``, then one variable per question named
by its key. A multiple-choice question becomes one 0/1 variable per option (``<key>_<option>``).
A name that is already taken (or is not a valid SPSS name) is adjusted, and the codebook says to
what.

Weights: ``weight`` is the response's weight as the wave's current result set used it (its
weighting cell's raking weight, 1 outside the cells), ``weight_cell`` that cell, and
``in_results`` whether the current results counted the response at all; a weighted wave's
response that they did not count has no weight. So an analyst who takes the rows with
``in_results`` = 1 and their weights gets the published figures. The codebook's "weighting" sheet
(and the SPSS file's notes) say how the weights were computed: the result set, its cutoff, the
targets, the trimming limits, the design effect, and each cell's weight (``ExportWeights``).

Coding: CSV and XLSX hold option codes as stored (``yes``, ``phone``, a company's slug), numbers
as numbers and ``N/A`` where the respondent chose "not applicable"; an empty cell is a question
that was not shown or not answered. The ``.sav`` file holds numeric codes with value labels:
options 1…k in their order, channels 1…k in the catalog's order, companies by their id; N/A is
-1, labelled and declared user-missing. Variable and value labels are the Norwegian texts (the
wave's language). The codebook lists every variable with its nb and en label, type, role,
section and values; it is a file of its own (format ``codebook``) and extra sheets of the XLSX.

CSV is comma-separated with a dot for decimals, UTF-8 with a byte-order mark so that Excel reads
æøå right (the XLSX is the better choice for Excel: it needs no import settings). Times are ISO
8601 in Norwegian time with the offset (naive Norwegian time in XLSX and SPSS). Every text cell of
the CSV and the XLSX goes through ``kundeservice.spreadsheets.safe_cell`` (free text, option
codes, company slugs, labels alike): one that a spreadsheet would run as a formula gets a
leading ``'``. Files are named after study, wave and day (``export_filename``).

Speed and memory: on PostgreSQL one query pivots the answers into a row per response
(``_pivot_sql``, the same values as the Python writer, ``safe_cell``'s rule in SQL): the CSV is
that query streamed into the file by ``COPY … TO STDOUT``, the XLSX reads it typed through a
server-side cursor, ``CHUNK`` rows at a time. Otherwise (SQLite, and SPSS everywhere) responses
are read in keyset chunks of ``CHUNK`` with their answers (two queries a chunk, no long-held
cursor). XLSX rows go to the file as they are made (XlsxWriter's constant-memory mode).
pyreadstat writes a ``.sav`` from a whole data frame, so that format keeps one typed array per
variable (8 bytes a numeric cell; text stays Python strings) and grows with the wave: about
1.7 MB per 1,000 responses of 20 questions. Files are written beside their final name and renamed
when complete, so a download never sees half a file. Figures: ``bench/export.py`` and
bench/RESULTS.md.
"""

import contextlib
import csv
import functools
import json
import math
import os
import re
import shutil
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
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
from kundeservice.spreadsheets import safe_cell, safe_cell_sql, safe_row
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
    ResultSet,
    ResultSetStatus,
    StudyKind,
    Wave,
)
from surveys.selectors import questionnaire_structure
from surveys.services.aggregation import (
    WEIGHT_DIMENSIONS,
    cell_weights,
    counted_responses,
    counted_statuses,
    cutoff_moment,
)

EXPORT_JOB = "export_wave"
EXPORT_DIR = "exports"
CHUNK = 5000
NA_TEXT = "N/A"
NA_CODE = -1.0
STALE_AFTER = timedelta(hours=1)
#: On PostgreSQL the answers are pivoted in SQL: the CSV is streamed by COPY, the XLSX's rows
#: are read from the pivot.
PIVOT_IN_SQL = True


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
    wave = Wave.objects.select_related("questionnaire", "study").get(pk=wave_id)
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


def export_filename(*, wave: Wave, file_format: str, on: date | None = None) -> str:
    """What a download is called: study, wave and the day it was written, e.g.
    ``ksindeks-2026-2026-12-05.csv`` (``…-codebook-2026-12-05.xlsx`` for the codebook)."""
    day = (on or timezone.localdate()).isoformat()
    name = f"{wave.study.slug}-{wave.slug}"
    if file_format == ExportFormat.CODEBOOK:
        return f"{name}-codebook-{day}.xlsx"
    return f"{name}-{day}.{EXTENSIONS[file_format]}"


def responses_to_export(*, wave: Wave, include_screened_out: bool = False) -> QuerySet[Response]:
    """The responses an export holds, oldest first."""
    statuses = [ResponseStatus.SUBMITTED, ResponseStatus.APPROVED]
    if include_screened_out:
        statuses.append(ResponseStatus.SCREENED_OUT)
    return Response.objects.filter(
        wave=wave, status__in=statuses, invalidated_at__isnull=True
    ).order_by("pk")


@dataclass(frozen=True)
class ExportWeights:
    """Each response's weight as the wave's current result set used it.

    A weighted wave's current set raked the weighting cells (gender × age group × region) of
    the responses it counted; a response carries its cell's weight, or 1 when its cell lacks a
    value the targets name (as the aggregation does), and no weight at all when the set did not
    count it (submitted after its cutoff or after it was computed, screened out) or there is no
    current set yet. In a wave that is not weighted every response weighs 1."""

    result_set: ResultSet | None
    weighted: bool
    statuses: tuple[str, ...] = ()
    #: counted: submitted before ``before`` (the end of the cutoff day) and at or before
    #: ``as_of`` (when the set read the responses)
    before: datetime | None = None
    as_of: datetime | None = None
    dims: tuple[str, ...] = ()
    #: (gender, age group, region) → weight
    cells: dict[tuple[str, str, str], float] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    recomputed: bool = False

    def counts(self, status: str, submitted: datetime | None) -> bool:
        return (
            self.before is not None
            and self.as_of is not None
            and submitted is not None
            and status in self.statuses
            and submitted < self.before
            and submitted <= self.as_of
        )

    def cell_name(self, cell: tuple[str, str, str]) -> str:
        """A cell as the export names it: its values on the targeted dimensions, "/"-joined."""
        return "/".join(cell[WEIGHT_DIMENSIONS.index(d)] for d in self.dims)

    def of(
        self, status: str, submitted: datetime | None, gender: str, age_group: str, region: str
    ) -> tuple[float | None, str, int]:
        """(weight, weighting cell, counted 1/0) of a response."""
        counted = self.counts(status, submitted)
        if not self.weighted:
            return 1.0, "", int(counted)
        if not counted:
            return None, "", 0
        cell = (gender, age_group, region)
        weight = self.cells.get(cell)
        if weight is None:
            return 1.0, "", 1
        return weight, self.cell_name(cell), 1


def export_weights(*, wave: Wave) -> ExportWeights:
    """The weights of ``wave``'s current result set, for its exports."""
    wave_weighted = wave.study.kind == StudyKind.PANEL and bool(wave.weight_margins)
    result_set = (
        ResultSet.objects.filter(wave=wave, is_current=True, status=ResultSetStatus.COMPLETE)
        .order_by("-started_at")
        .first()
    )
    if result_set is None:
        return ExportWeights(result_set=None, weighted=wave_weighted)
    summary = dict(result_set.weighting or {})
    as_of_text = summary.get("as_of")
    as_of = datetime.fromisoformat(as_of_text) if as_of_text else result_set.started_at
    before = cutoff_moment(result_set.cutoff)
    statuses = tuple(counted_statuses(wave))
    weighted = "weighted" in summary or ("unweighted" in summary and wave_weighted)
    recomputed = False
    if weighted and "cells" not in summary:
        # A set computed before sets kept their cells: weigh the same responses again.
        responses = counted_responses(wave, result_set.cutoff).filter(submitted_at__lte=as_of)
        _weights, found = cell_weights(wave=wave, responses=responses)
        summary = {**found, "as_of": summary.get("as_of")}
        recomputed = True
    cells = {(str(c[0]), str(c[1]), str(c[2])): float(c[4]) for c in summary.get("cells", [])}
    targets = summary.get("targets") or {}
    dims = tuple(d for d in WEIGHT_DIMENSIONS if d in targets) or WEIGHT_DIMENSIONS
    return ExportWeights(
        result_set=result_set,
        weighted=weighted,
        statuses=statuses,
        before=before,
        as_of=as_of,
        dims=dims,
        cells=cells,
        summary=summary,
        recomputed=recomputed,
    )


WEIGHTING_TEXTS = {
    "raking": gettext_lazy(
        "Raking (iterative proportional fitting) of the weighting cells to the targets below, "
        "then trimmed to the limits below and scaled to mean 1. The weight column holds each "
        "counted response's weight as the current results used it."
    ),
    "none": gettext_lazy("The wave is not weighted: every response has weight 1."),
    "not_yet": gettext_lazy(
        "No results have been computed for this wave yet, so no response has a weight."
    ),
    "result_set": gettext_lazy("The result set (current results) the weights come from."),
    "results_through": gettext_lazy("Last day counted."),
    "counted_as_of": gettext_lazy("Responses submitted after this were not counted."),
    "target": gettext_lazy("Target share, percent."),
    "trim_min": gettext_lazy("Smallest weight allowed, times the mean weight."),
    "trim_max": gettext_lazy("Largest weight allowed, times the mean weight."),
    "responses_weighted": gettext_lazy("Counted responses weighted by their cell."),
    "responses_weight_1": gettext_lazy(
        "Counted responses outside the weighting cells (a value the targets lack): weight 1."
    ),
    "weight_min": gettext_lazy("Smallest weight."),
    "weight_max": gettext_lazy("Largest weight."),
    "design_effect": gettext_lazy("Design effect of the weights (Kish): n / n_eff."),
    "effective_n": gettext_lazy("Effective sample size (Kish)."),
    "recomputed": gettext_lazy(
        "The result set did not keep its cells' weights: they were computed again from the "
        "responses it counted."
    ),
}


def weighting_rows(weights: ExportWeights) -> list[list[Any]]:
    """How the export's weights were computed, as a table (the codebook's "weighting" sheet):
    the method, the result set, the targets, the trimming limits, the design effect, and every
    weighting cell with its weight."""
    rows: list[list[Any]] = [["item", "value", "explanation_nb", "explanation_en"]]

    def add(item: str, value: Any, text: str | None = None) -> None:
        about = WEIGHTING_TEXTS[text or item]
        rows.append([item, value, _in_language(about, "nb"), _in_language(about, "en")])

    result_set = weights.result_set
    if result_set is None:
        add("method", "none" if not weights.weighted else "raking", "not_yet")
        return rows
    method = "raking" if weights.weighted else "none"
    add("method", method, method)
    add("result_set", result_set.pk)
    add("results_through", result_set.cutoff.isoformat())
    if weights.as_of is not None:
        local = timezone.localtime(weights.as_of).isoformat(timespec="seconds")
        add("counted_as_of", local)
    if not weights.weighted:
        return rows
    summary = weights.summary
    if weights.recomputed:
        add("recomputed", "yes")
    for dim, targets in (summary.get("targets") or {}).items():
        total = sum(float(t) for t in targets.values()) or 1.0
        for value, target in targets.items():
            add(f"target {dim}={value}", round(100 * float(target) / total, 6), "target")
    trim = summary.get("trim") or [None, None]
    if trim[0] is not None:
        add("trim_min", trim[0])
    if trim[1] is not None:
        add("trim_max", trim[1])
    add("responses_weighted", summary.get("weighted", 0))
    add("responses_weight_1", summary.get("unweighted", 0))
    for item, key in (("weight_min", "min"), ("weight_max", "max")):
        if summary.get(key) is not None:
            add(item, summary[key])
    if summary.get("design_effect"):
        add("design_effect", summary["design_effect"])
        add("effective_n", summary.get("weighted", 0) / summary["design_effect"])
    rows.append([])
    rows.append(["weight_cell", *WEIGHT_DIMENSIONS, "responses", "weight"])
    for cell in summary.get("cells") or []:
        values = (str(cell[0]), str(cell[1]), str(cell[2]))
        rows.append([weights.cell_name(values), *values, cell[3], float(cell[4])])
    return rows


def _weighting_note(weighting: Sequence[Any]) -> list[str] | None:
    """The weighting table's items as notes of the SPSS file (80 bytes each; without the
    cells: the codebook has them)."""
    lines = []
    for row in list(weighting)[1:]:
        if not row:
            break
        lines.append(_fit_bytes(f"{row[0]}: {row[1]}", 80))
    return lines or None


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
    weights = export_weights(wave=wave)
    weighting = weighting_rows(weights)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    rows = 0
    try:
        if file_format == ExportFormat.CODEBOOK:
            _write_codebook_workbook(partial, layout.variables, weighting)
        elif (
            file_format in {ExportFormat.CSV, ExportFormat.XLSX}
            and PIVOT_IN_SQL
            and connection.vendor == "postgresql"
        ):
            writer = _WRITERS[file_format](partial, layout.variables, weighting)
            try:
                rows = writer.copy(
                    wave=wave,
                    layout=layout,
                    weights=weights,
                    include_screened_out=include_screened_out,
                    progress=progress,
                )
            except BaseException:
                writer.discard()
                raise
            writer.close()
        else:
            writer = _WRITERS[file_format](partial, layout.variables, weighting)
            na: Any = NA if file_format == ExportFormat.SAV else NA_TEXT
            try:
                for chunk in _response_rows(
                    wave=wave,
                    layout=layout,
                    weights=weights,
                    include_screened_out=include_screened_out,
                    na=na,
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
    ("weight", "number", gettext_lazy("Weight in the current results")),
    ("weight_cell", "string", gettext_lazy("Weighting cell the weight belongs to")),
    ("in_results", "flag", gettext_lazy("Counted in the current results")),
    ("score", "number", gettext_lazy("Score, 0–100")),
]
NOT_CHOSEN = gettext_lazy("Not chosen")
CHOSEN = gettext_lazy("Chosen")
NOT_APPLICABLE = gettext_lazy("Not applicable")
NOT_COUNTED = gettext_lazy("Not counted")
COUNTED = gettext_lazy("Counted")
SPSS_NAME = re.compile(r"[^A-Za-z0-9_]")
SPSS_RESERVED = {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}


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
    elif name == "in_results":
        values = [
            ValueLabel(0, 0.0, _in_language(NOT_COUNTED, "nb"), _in_language(NOT_COUNTED, "en")),
            ValueLabel(1, 1.0, _in_language(COUNTED, "nb"), _in_language(COUNTED, "en")),
        ]
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
    "score",
)


def _response_rows(
    *, wave: Wave, layout: Layout, weights: ExportWeights, include_screened_out: bool, na: Any
) -> Iterator[list[list[Any]]]:
    """Rows of ``CHUNK`` responses at a time, in id order, with their answers in place."""
    responses = responses_to_export(wave=wave, include_screened_out=include_screened_out).annotate(
        # Parsed below with fromisoformat: much cheaper than the driver's datetime conversion.
        submitted_text=Cast("submitted_at", output_field=TextField())
    )
    weigh = weights.of
    empty = [None] * (len(layout.variables) - len(FIXED))
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
        rows = []
        for r in chunk:
            submitted = _utc(r[2])
            weight = weigh(r[1], submitted, r[6], r[7], r[8])
            rows.append([r[0], r[1], submitted, r[3], r[4] or "", *r[5:9], *weight, r[9], *empty])
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


class _CsvWriter:
    """CSV, every cell made safe for spreadsheets (``safe_cell``). On PostgreSQL the rows are
    the database's own (``copy``): the answers pivoted into one row per response in SQL and
    streamed by ``COPY … TO STDOUT``; elsewhere they are written from Python rows (``write``),
    to the same values."""

    def __init__(
        self, path: Path, variables: Sequence[Variable], weighting: Sequence[Any] = ()
    ) -> None:
        self.file = path.open("w", newline="", encoding="utf-8-sig")
        self.writer = csv.writer(self.file, lineterminator="\n")  # as COPY ends its lines
        self.writer.writerow(safe_row(v.name for v in variables))

    def write(self, rows: list[list[Any]]) -> None:
        zone = timezone.get_current_timezone()
        for row in rows:
            if row[2] is not None:
                row[2] = row[2].astimezone(zone).isoformat(timespec="seconds")
        self.writer.writerows(map(safe_row, rows))

    def copy(
        self,
        *,
        wave: Wave,
        layout: Layout,
        weights: ExportWeights,
        include_screened_out: bool,
        progress: Callable[[int], None] | None,
    ) -> int:
        """Write the rows with PostgreSQL's ``COPY``; returns how many."""
        from psycopg import sql

        self.file.flush()
        out = self.file.buffer
        connection.ensure_connection()
        raw = connection.connection

        def literal(value: Any) -> str:
            return sql.Literal(value).as_string(raw)

        query = _pivot_sql(
            wave=wave,
            layout=layout,
            weights=weights,
            include_screened_out=include_screened_out,
            literal=literal,
        )
        lines = reported = 0
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
                for block in copy:
                    out.write(block)
                    if progress is not None:
                        lines += bytes(block).count(b"\n")  # about a row a line
                        if lines - reported >= CHUNK:
                            progress(lines - reported)
                            reported = lines
            rows = max(cursor.rowcount, 0)
        if progress is not None and rows > reported:
            progress(rows - reported)
        return rows

    def close(self) -> None:
        self.file.close()

    def discard(self) -> None:
        with contextlib.suppress(OSError):  # flushing may fail as the write did
            self.file.close()


def _pivot_sql(
    *,
    wave: Wave,
    layout: Layout,
    weights: ExportWeights,
    include_screened_out: bool,
    literal: Callable[[Any], str],
    typed: bool = False,
) -> str:
    """One row per exported response, its answers pivoted into columns, every value as text
    exactly as the Python writer puts it in the CSV (``_response_rows``, ``_CsvWriter.write``).
    ``typed`` (for the XLSX): numbers as numbers, N/A in a numeric column as NaN, the time as
    naive Norwegian time; text as in the CSV."""
    answer, response = Answer._meta.db_table, Response._meta.db_table
    company = Company._meta.db_table
    na = literal(NA_TEXT)
    na_number = "CAST('NaN' AS DOUBLE PRECISION)" if typed else na
    columns: list[str] = ["NULL"] * len(layout.variables)
    pivot: list[str] = []
    for question_id, (reads, first, options) in layout.slots.items():
        where = f"FILTER (WHERE a.question_id = {int(question_id)})"
        if options:
            for value, i in options.items():
                one, zero = ("1", "0") if typed else ("'1'", "'0'")
                pivot.append(
                    f"min(CASE WHEN a.is_na THEN {na_number} "
                    f"WHEN a.value_choices ? {literal(value)} THEN {one} ELSE {zero} END) "
                    f"{where} AS c{i}"
                )
                columns[i] = f"p.c{i}"
            continue
        if reads == TEXT:
            value, missing = safe_cell_sql("NULLIF(a.value_text, '')"), na
        else:
            value = "a.value_number" if typed else "CAST(a.value_number AS TEXT)"
            missing = na_number
        pivot.append(f"min(CASE WHEN a.is_na THEN {missing} ELSE {value} END) {where} AS c{first}")
        columns[first] = f"p.c{first}"
    if include_screened_out:
        for key, i in layout.screening:
            drafted = f"(r.draft ->> {literal(key)})"
            columns[i] = (
                f"CASE WHEN r.status = {literal(ResponseStatus.SCREENED_OUT)} THEN "
                f"CASE WHEN {drafted} = {literal(BRANCHING_NA)} THEN {na} "
                f"ELSE {safe_cell_sql(drafted)} END ELSE {columns[i]} END"
            )

    if weights.result_set is not None and weights.before and weights.as_of:
        counted = (
            f"(r.status IN ({', '.join(literal(s) for s in weights.statuses)}) "
            f"AND r.submitted_at < {literal(weights.before)} "
            f"AND r.submitted_at <= {literal(weights.as_of)})"
        )
    else:
        counted = "FALSE"
    cte, join = "", ""
    one = "CAST(1 AS DOUBLE PRECISION)" if typed else "'1.0'"
    if not weights.weighted:
        weight, cell = one, "NULL"
    elif weights.cells:
        cells = list(weights.cells)
        arrays = [[c[i] for c in cells] for i in range(3)]
        arrays.append([repr(float(weights.cells[c])) for c in cells])  # as Python writes it
        arrays.append([weights.cell_name(c) for c in cells])
        numbers = [float(weights.cells[c]) for c in cells]
        cte = (
            "cw(gender, age_group, region, w, cell, wf) AS (SELECT * FROM unnest("  # noqa: S608
            + ", ".join(f"CAST({literal(a)} AS TEXT[])" for a in arrays)
            + f", CAST({literal(numbers)} AS DOUBLE PRECISION[]))), "
        )
        join = (
            " LEFT JOIN cw ON cw.gender = r.gender AND cw.age_group = r.age_group"
            " AND cw.region = r.region"
        )
        weight = f"CASE WHEN {counted} THEN COALESCE(cw.{'wf' if typed else 'w'}, {one}) END"
        cell = f"CASE WHEN {counted} THEN {safe_cell_sql('cw.cell')} END"
    else:
        weight, cell = f"CASE WHEN {counted} THEN {one} END", "NULL"

    zone = literal(timezone.get_current_timezone_name())
    fixed = [
        "r.id",
        safe_cell_sql("r.status"),
        "to_char(t.local, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN t.offset_ < interval '0' "
        "THEN '-' || to_char(-t.offset_, 'HH24:MI') ELSE '+' || to_char(t.offset_, 'HH24:MI') END",
        safe_cell_sql("NULLIF(r.language, '')"),
        safe_cell_sql("NULLIF(c.slug, '')"),
        safe_cell_sql("NULLIF(r.channel, '')"),
        safe_cell_sql("NULLIF(r.gender, '')"),
        safe_cell_sql("NULLIF(r.age_group, '')"),
        safe_cell_sql("NULLIF(r.region, '')"),
        weight,
        cell,
        f"CASE WHEN {counted} THEN 1 ELSE 0 END"
        if typed
        else f"CASE WHEN {counted} THEN '1' ELSE '0' END",
        # Python's repr of a float: 80.0, not PostgreSQL's 80.
        "CASE WHEN r.score = trunc(r.score) AND abs(r.score) < 1e15 "
        "THEN CAST(CAST(r.score AS NUMERIC) AS TEXT) || '.0' ELSE CAST(r.score AS TEXT) END",
    ]
    if typed:
        fixed[2], fixed[-1] = "t.local", "r.score"
    assert len(fixed) == len(FIXED)
    columns[: len(fixed)] = fixed
    statuses = [ResponseStatus.SUBMITTED, ResponseStatus.APPROVED]
    if include_screened_out:
        statuses.append(ResponseStatus.SCREENED_OUT)
    answers = (
        f"p AS (SELECT a.response_id, {', '.join(pivot) or 'NULL AS none_'} FROM {answer} a "  # noqa: S608
        f"WHERE a.wave_id = {int(wave.pk)} GROUP BY a.response_id)"
    )
    return (
        f"WITH {cte}{answers} "  # noqa: S608
        f"SELECT {', '.join(columns)} FROM {response} r"
        f" LEFT JOIN {company} c ON c.id = r.company_id"
        f" LEFT JOIN p ON p.response_id = r.id{join}"
        f" CROSS JOIN LATERAL (SELECT r.submitted_at AT TIME ZONE {zone} AS local,"
        f" (r.submitted_at AT TIME ZONE {zone}) - (r.submitted_at AT TIME ZONE 'UTC') AS offset_)"
        " t"
        f" WHERE r.wave_id = {int(wave.pk)} AND r.invalidated_at IS NULL"
        f" AND r.status IN ({', '.join(literal(s) for s in statuses)})"
        " ORDER BY r.id"
    )


#: Text XlsxWriter has to escape (XML's specials, control characters, its own ``_xHHHH_``).
TEXT_CACHE = 20_000  # distinct texts an XLSX writer remembers the safe and escaped forms of
XML_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")


@functools.cache
def _streaming_sheet() -> type:
    """XlsxWriter's worksheet with one addition, ``append_rows``: rows of plain values (text,
    numbers, datetimes, None) written to the constant-memory row file in one piece each, as
    XlsxWriter writes them cell by cell (``Worksheet._write_cell``: numbers as ``%.16G``, text
    inline with control characters as ``_xHHHH_``). The per-cell path costs about 4 µs a cell,
    a 50,000-response export 1.85 million cells; this one a fraction (bench/RESULTS.md). The
    workbook, styles, dimensions and the zip stay XlsxWriter's."""
    from xlsxwriter.utility import xl_col_to_name
    from xlsxwriter.worksheet import Worksheet

    class StreamingSheet(Worksheet):
        def append_rows(self, first: int, rows: Iterable[Sequence[Any]], date_style: int) -> int:
            """Write ``rows`` from row ``first`` (0-based) on; returns the next free row."""
            if first < getattr(self, "previous_row") or self.table:  # noqa: B009
                raise ValueError("append_rows writes after every row written so far")
            refs: list[str] = []
            escape, control = self._escape_data, self._escape_control_characters
            to_excel, special, write = self._convert_date_time, XML_SPECIAL.search, self.fh.write
            # Codes repeat in every row: each text's escaped form is made once.
            texts: dict[str, str] = self.__dict__.setdefault("_texts", {})
            na = f'" t="inlineStr"><is><t>{NA_TEXT}</t></is></c>'
            r = first
            width = 0
            for row in rows:
                number = str(r + 1)
                if len(row) > len(refs):
                    refs = [xl_col_to_name(c) for c in range(len(row))]
                width = max(width, len(row))
                cells = [f'<row r="{number}">']
                for ref, value in zip(refs, row, strict=False):
                    if value is None:
                        continue
                    kind = type(value)
                    if kind is str:
                        if not value:
                            continue  # XlsxWriter writes no cell for empty text either
                        inline = texts.get(value)
                        if inline is None:
                            text = escape(control(value)) if special(value) else value
                            space = (
                                ' xml:space="preserve"'
                                if text[0].isspace() or text[-1].isspace()
                                else ""
                            )
                            inline = f'" t="inlineStr"><is><t{space}>{text}</t></is></c>'
                            if len(texts) < TEXT_CACHE:
                                texts[value] = inline
                        cells.append(f'<c r="{ref}{number}{inline}')
                    elif kind is datetime:
                        cells.append(
                            f'<c r="{ref}{number}" s="{date_style}">'
                            f"<v>{to_excel(value):.16G}</v></c>"
                        )
                    elif value != value:  # NaN: N/A in a numeric column (the SQL pivot's)
                        cells.append(f'<c r="{ref}{number}{na}')
                    else:
                        cells.append(f'<c r="{ref}{number}"><v>{value:.16G}</v></c>')
                cells.append("</row>")
                write("".join(cells))
                r += 1
            if r > first:  # the sheet's extent, as XlsxWriter's own writes keep it
                low, high = getattr(self, "dim_rowmin"), getattr(self, "dim_rowmax")  # noqa: B009
                self.dim_rowmin = first if low is None else min(low, first)
                self.dim_rowmax = r - 1 if high is None else max(high, r - 1)
                self.dim_colmin = 0
                self.dim_colmax = max(getattr(self, "dim_colmax") or 0, width - 1)  # noqa: B009
                self.previous_row = r
            return r

    return StreamingSheet


class _XlsxWriter:
    """An Excel workbook written by XlsxWriter in its constant-memory mode: each row goes to
    the sheet's temporary file as it comes, text inline (``_streaming_sheet``). Text is never a
    formula, and every text cell is made safe (``safe_cell``) as in the CSV."""

    def __init__(
        self, path: Path, variables: Sequence[Variable], weighting: Sequence[Any] = ()
    ) -> None:
        import xlsxwriter

        self.variables = variables
        self.weighting = weighting
        self.tmpdir = tempfile.mkdtemp(prefix="export-xlsx-")
        self.workbook = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "tmpdir": self.tmpdir,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self.sheet = self.workbook.add_worksheet("data", worksheet_class=_streaming_sheet())
        self.date_style = self.workbook.add_format(
            {"num_format": "yyyy-mm-dd hh:mm:ss"}
        )._get_xf_index()
        self.row = self.sheet.append_rows(0, [safe_row(v.name for v in variables)], self.date_style)
        # Where text may be: codes, names, free text (numbers are never formulas).
        self.text = [i for i, v in enumerate(variables) if v.kind in {"text", "choice", "string"}]
        # safe_cell, remembered for the codes and names that fill most text cells
        self.safe = functools.lru_cache(maxsize=TEXT_CACHE)(safe_cell)

    def write(self, rows: list[list[Any]]) -> None:
        text, safe, zone = self.text, self.safe, timezone.get_current_timezone()
        for row in rows:
            if row[2] is not None:
                row[2] = row[2].astimezone(zone).replace(tzinfo=None)
            for i in text:
                value = row[i]
                if value:
                    row[i] = safe(value)
        self.row = self.sheet.append_rows(self.row, rows, self.date_style)

    def copy(
        self,
        *,
        wave: Wave,
        layout: Layout,
        weights: ExportWeights,
        include_screened_out: bool,
        progress: Callable[[int], None] | None,
    ) -> int:
        """Write the rows of the SQL pivot (``_pivot_sql``, typed), read in chunks of
        ``CHUNK`` in PostgreSQL's binary format; returns how many."""
        from psycopg import sql

        connection.ensure_connection()
        raw = connection.connection
        query = _pivot_sql(
            wave=wave,
            layout=layout,
            weights=weights,
            include_screened_out=include_screened_out,
            literal=lambda value: sql.Literal(value).as_string(raw),
            typed=True,
        )
        first = self.row
        with transaction.atomic(), raw.cursor(name=f"export_{wave.pk}", binary=True) as cursor:
            cursor.execute(query)  # a server-side cursor: CHUNK rows in memory at a time
            while rows := cursor.fetchmany(CHUNK):
                self.row = self.sheet.append_rows(self.row, rows, self.date_style)
                if progress is not None:
                    progress(len(rows))
        return self.row - first

    def close(self) -> None:
        try:
            _add_codebook_sheets(self.workbook, self.variables, self.weighting)
            self.workbook.close()
        finally:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def discard(self) -> None:
        """Give up: close the sheets' temporary files and remove them. It never raises: the
        error that made the export give up is the one to report."""
        for sheet in self.workbook.worksheets():
            handle = getattr(sheet, "row_data_fh", None)
            if handle is not None:
                with contextlib.suppress(Exception):
                    handle.close()
        self.workbook.fileclosed = True
        shutil.rmtree(self.tmpdir, ignore_errors=True)


class _SavWriter:
    """Collects one typed array per variable; pyreadstat writes them at the end."""

    def __init__(
        self, path: Path, variables: Sequence[Variable], weighting: Sequence[Any] = ()
    ) -> None:
        self.path = path
        self.variables = variables
        self.weighting = weighting
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
            note=_weighting_note(self.weighting),
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


def _write_codebook_workbook(
    path: Path, variables: Sequence[Variable], weighting: Sequence[Any] = ()
) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    _add_codebook_sheets(workbook, variables, weighting)
    workbook.close()


def _add_codebook_sheets(
    workbook: Any, variables: Sequence[Variable], weighting: Sequence[Any] = ()
) -> None:
    by_variable, values = codebook_rows(variables)
    tables = [("codebook", by_variable), ("values", values)]
    if weighting:
        tables.append(("weighting", list(weighting)))
    for title, table in tables:
        sheet = workbook.add_worksheet(title)
        for r, row in enumerate(table):
            sheet.write_row(r, 0, safe_row(row))


_WRITERS: dict[str, Callable[[Path, Sequence[Variable], Sequence[Any]], Any]] = {
    ExportFormat.CSV: _CsvWriter,
    ExportFormat.XLSX: _XlsxWriter,
    ExportFormat.SAV: _SavWriter,
}
