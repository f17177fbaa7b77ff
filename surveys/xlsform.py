"""XLSForm ⇄ questionnaire specification (the dict ``questionnaire_create`` takes).

Pure conversion, no database: ``read_xlsform`` turns an uploaded form into a specification (or
rejects it, listing every problem by sheet, row and column), ``write_xlsform`` writes one out.
An exported workbook is a valid XLSForm that pyxform, KoboToolbox and ODK accept; importing it
again gives the same questionnaire.

Reading
    The upload's size and rows are limited first (``kundeservice/upload_limits.py``). pyxform reads
    the file (.xlsx, .xls, .csv, .md) into rows, and converts it to an XForm: a form pyxform
    refuses is refused with pyxform's message on its row (when ours find nothing). Our reading
    of the rows maps them onto the specification and collects every problem, and warnings for
    what is imported but not shown.

The workbook
    ``survey``   one row per question; groups (nested too) are sections: an inner group is a
                 section of its own, and the questions after it one more, each keeping the outer
                 group's ``relevant``. Every type spelling pyxform takes (``select one from x``,
                 ``string``, ``int``, ``begin loop``…).
    ``choices``  ``list_name``, ``name`` (the code; not starting with =, +, -, @), ``label``,
                 and our ``points``; other columns a ``choice_filter`` reads are kept on the
                 options (``columns``) and written back.
    ``settings`` optional: ``form_title`` (else the file name), ``form_id`` (the questionnaire's
                 key; made from the title when empty), ``default_language`` (the language of a
                 plain ``label``; bokmål when unset), ``version`` (ignored: a known key makes a
                 new version), our ``form_title_en``, ``kind`` (survey, evaluation, poll) and
                 ``intro``.

Languages: ``::nb`` and ``::en`` (or ODK's ``::Norsk (nb)``, ``::English (en)``) are shown; other
languages are kept in ``translations`` and written back. A plain column beside the explicit one
of the same language fills its empty cells.

Types
    ``select_one L``, ``select_multiple L``        choices from list L (``or_other`` adds an
                                                   "other" choice and the text question
                                                   ``<name>_other`` shown when it is chosen)
    ``select_one yes_no``                          yes/no: a list ``yes_no`` with codes yes, no
    ``range`` start=1 end=5|6|7|10 / start=0 end=10 a rating scale / NPS; other ranges a number
    ``decimal``, ``integer``                       a number (``integer`` with appearance
                                                   ``duration``: minutes)
    ``text``, ``date``, ``time``, ``dateTime``, ``note``
    ``select_one_from_file companies.csv``/``channels.csv``   the company and channel pickers
Kept but never shown (``relevant`` false, the original cells in ``translations["xlsform"]``,
written back as they were): metadata, media, geopoint, barcode, ``calculate``, selects from other
files or with ``search()``, selects with fewer than two choices.

``calculate`` (surveys/expressions.py evaluates it, on the server, wherever conditions and labels
are: page render, autosave, page and API submit). Its ``calculation`` is kept as an expression
tree in the question's ``calculation`` (a ``relevant`` on the row wraps it in ``if()``: empty
when not relevant); its value is text, computed in form order from the answers and earlier
calculations, never stored. ``${name}`` of a calculation works in a later ``relevant`` or
``constraint`` (``=``/``!=`` a value, ``<``… a number) and in labels and hints. The part of XPath
taken: ``${q}``, string and number literals, ``+ - * div mod``, comparisons, ``and``, ``or``,
``not()``, ``true()``, ``false()``, ``if(c, a, b)``, ``concat(…)``, ``coalesce(a, b)``,
``string-length()``, ``round(x, n)``, ``number()``, ``string()``, ``selected(${q}, 'x')``,
``count-selected(${q})``, ``jr:choice-name(${q}, '${q}')`` (the chosen option's label in the
respondent's language). A calculation outside that part, or reading a later question, is kept
uncomputed with a warning (a label showing it shows "…"); when a ``relevant`` or ``constraint``
reads it, the form is refused on the calculation's row.

``choice_filter`` on a select: the same expressions, where a bare name is a column of the choices
sheet (``name`` the code) — ``industry = ${industry}``, ``${x} = industry``,
``selected(${x}, industry)``, ``and``/``or`` of them. Stored as a tree in ``choice_filter``;
a respondent sees, and the server accepts, only the choices it holds for (a change to a question
it reads re-renders the page's questions, like branching). One we cannot evaluate (other
functions, a later question, a column the choices sheet lacks) shows every choice, with a
warning. Written back as XPath from the tree.

Columns of our own (XLSForm tools ignore them)
    ``role``, ``weight`` (of a question, or of a section on its ``begin_group`` row), ``scored``,
    ``allow_na``, ``min_label``, ``max_label``.
``constraint`` (``.`` is the answer) and ``constraint_message``, ``required_message`` and
``guidance_hint`` are kept; a constraint we cannot check is kept unchecked, with a warning.

``relevant`` and ``constraint`` refer only to earlier questions (and calculations):
    ``${q} = 'x'``, ``${q} != 'x'``, ``selected(${q}, 'x')``, ``not(…)``, ``and``, ``or``,
    parentheses, ``<``, ``<=``, ``>``, ``>=`` on range and number questions and calculations,
    ``0``/``false()`` (never shown) and ``1``/``true()``.

Refused, with a message naming the row: repeats, other functions in ``relevant``, references to
later or unknown questions, a calculation we cannot compute that a ``relevant`` or ``constraint``
reads, duplicate names, missing lists, points that are not numbers.
"""

import gc
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.text import slugify
from django.utils.translation import gettext as _

from kundeservice.errors import DomainError, ImportRejected, RowError
from kundeservice.spreadsheets import looks_like_formula
from kundeservice.upload_limits import too_many_rows, upload_read, xlsx_check_rows
from surveys.expressions import (
    ExpressionError,
    columns_read,
    parse_expression,
    references,
    to_xpath,
)
from surveys.models.catalog import Channel
from surveys.models.instruments import (
    RATING_SCALES,
    QuestionnaireKind,
    QuestionRole,
    QuestionType,
)
from surveys.services.questionnaires import YES_NO_OPTIONS

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
COMPANIES_FILE, CHANNELS_FILE = "companies.csv", "channels.csv"
YES_NO_LIST = "yes_no"

#: Rows that ODK and KoboToolbox fill in by themselves; they are not questions.
METADATA_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
    "background-audio",
    "background-geopoint",
}
#: pyxform's other spellings of the metadata types.
METADATA_ALIASES = {
    "start time": "start",
    "get start time": "start",
    "end time": "end",
    "get end time": "end",
    "get today": "today",
    "device id": "deviceid",
    "get device id": "deviceid",
    "imei": "deviceid",
    "uri:deviceid": "deviceid",
    "subscriber id": "subscriberid",
    "get subscriber id": "subscriberid",
    "uri:subscriberid": "subscriberid",
    "sim id": "simserial",
    "get sim id": "simserial",
    "uri:simserial": "simserial",
    "phone number": "phonenumber",
    "get phone number": "phonenumber",
    "uri:phonenumber": "phonenumber",
    "uri:username": "username",
    "uri:email": "email",
}
#: Question types a web survey does not show: imported with a warning, left out.
UNSHOWN_TYPES = {
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "audio",
    "video",
    "file",
    "barcode",
    "acknowledge",
    "osm",
    "rank",
    "select_one_external",
    "select_multiple_from_file",
    "xml-external",
    "csv-external",
    "hidden",
    "trigger",
    "number of days in last month",
    "number of days in last six months",
    "number of days in last year",
    "percentage",
}
#: pyxform's spellings of the types we take, by what they mean.
TYPE_ALIASES = {
    "text": "text",
    "string": "text",
    "add text prompt": "text",
    "q string": "text",
    "integer": "integer",
    "int": "integer",
    "add integer prompt": "integer",
    "q int": "integer",
    "decimal": "decimal",
    "add decimal prompt": "decimal",
    "q decimal": "decimal",
    "date": "date",
    "add date prompt": "date",
    "q date": "date",
    "time": "time",
    "datetime": "datetime",
    "date time": "datetime",
    "add date time prompt": "datetime",
    "add datetime prompt": "datetime",
    "q date time": "datetime",
    "q datetime": "datetime",
    "note": "note",
    "add note prompt": "note",
    "q note": "note",
    "calculate": "calculate",
    "add calculate prompt": "calculate",
    "q calculate": "calculate",
    "range": "range",
    "photo": "image",
    "image": "image",
    "q image": "image",
    "q picture": "image",
    "add image prompt": "image",
    "add photo prompt": "image",
    "audio": "audio",
    "q audio": "audio",
    "add audio prompt": "audio",
    "video": "video",
    "q video": "video",
    "add video prompt": "video",
    "file": "file",
    "add file prompt": "file",
    "barcode": "barcode",
    "q barcode": "barcode",
    "add barcode prompt": "barcode",
    "geopoint": "geopoint",
    "gps": "geopoint",
    "location": "geopoint",
    "q geopoint": "geopoint",
    "q location": "geopoint",
    "add location prompt": "geopoint",
    "geotrace": "geotrace",
    "q geotrace": "geotrace",
    "geoshape": "geoshape",
    "q geoshape": "geoshape",
    "acknowledge": "acknowledge",
    "q acknowledge": "acknowledge",
    "add acknowledge prompt": "acknowledge",
}
GROUP_ROWS = {"begin_group", "end_group", "begin_repeat", "end_repeat"}
FILES = {COMPANIES_FILE: QuestionType.COMPANY, CHANNELS_FILE: QuestionType.CHANNEL}
#: The condition of a question never shown.
NEVER: dict[str, Any] = {"any": []}
#: Where a question never shown keeps the XLSForm cells it is exported back with.
HIDDEN = "xlsform"
#: Where a question keeps a constraint web surveys do not check, to export it back.
UNCHECKED = "xlsform_unchecked"
HIDDEN_COLUMNS = (
    "type",
    "relevant",
    "calculation",
    "appearance",
    "parameters",
    "constraint",
    "default",
    "choice_filter",
    "read_only",
    "trigger",
)
#: The code of the choice or_other adds, as ODK names it.
OTHER = "other"
NUMBER_TYPES = {"rating", "nps", "number", "duration"}
CHOICE_TYPES = {"single_choice", "multiple_choice", "yes_no", "company", "channel"}
TRANSLATABLE = {
    "label",
    "hint",
    "min_label",
    "max_label",
    "form_title",
    "intro",
    "constraint_message",
    "required_message",
    "guidance_hint",
    "image",
    "big-image",
    "audio",
    "video",
}
#: File types pyxform reads.
FILE_TYPES = {"xlsx", "xlsm", "xls", "csv", "md"}
#: pyxform stops reading a sheet after this many empty rows in a row.
EMPTY_RUN = 60
LANGUAGES = {
    "nb": "nb",
    "no": "nb",
    "nob": "nb",
    "norsk": "nb",
    "bokmål": "nb",
    "norsk bokmål": "nb",
    "norwegian": "nb",
    "norwegian bokmål": "nb",
    "en": "en",
    "eng": "en",
    "english": "en",
    "engelsk": "en",
}
#: Texts kept with a question, in every language, and exported back.
MESSAGE_COLUMNS = ("constraint_message", "required_message", "guidance_hint")
SURVEY_COLUMNS = {
    "type",
    "name",
    "label::nb",
    "label::en",
    "hint::nb",
    "hint::en",
    "required",
    "relevant",
    "parameters",
    "role",
    "weight",
    "scored",
    "allow_na",
    "min_label::nb",
    "min_label::en",
    "max_label::nb",
    "max_label::en",
    "constraint",
    "choice_filter",
    "calculation",
    *(f"{column}::{language}" for column in MESSAGE_COLUMNS for language in ("nb", "en")),
}
QUESTION_ONLY_COLUMNS = [
    "role",
    "scored",
    "allow_na",
    "min_label::nb",
    "min_label::en",
    "max_label::nb",
    "max_label::en",
]
CHOICES_COLUMNS = {"list_name", "name", "label::nb", "label::en", "points"}
TRUE_WORDS = {"yes", "true", "true()", "1", "ja", "sant"}
FALSE_WORDS = {"", "no", "false", "false()", "0", "nei", "usant"}
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class SheetRowError(RowError):
    """A row error that also names the workbook's sheet."""

    sheet: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, **super().as_dict()}


@dataclass
class ParsedForm:
    """The specification read from a workbook, where each part came from (for messages), and
    what was imported without being shown (warnings, by sheet and row)."""

    spec: dict[str, Any]
    question_rows: dict[str, int] = field(default_factory=dict)
    section_rows: dict[str, int] = field(default_factory=dict)
    warnings: list[SheetRowError] = field(default_factory=list)


def read_xlsform(*, file: IO[bytes], filename: str = "") -> ParsedForm:
    """Read an XLSForm (.xlsx, .xls, .csv or .md, as pyxform reads them) into a questionnaire
    specification.

    Raises ``DomainError`` when the file is not a usable form, and ``ImportRejected`` listing
    every bad row (``SheetRowError``) otherwise: pyxform's own refusal and ours together.
    """
    workbook, stem = _load_workbook(file=file, filename=filename)
    sheets = _sheets_of(workbook)
    # pyxform changes the rows it reads; ours are copied out already, so it may have them.
    pyxform_errors, survey_json = _pyxform_convert(workbook, stem, sheets.get(SURVEY))
    # Memory (issue 18: a 5 MB workbook's import peaks under 200 MB): each phase lets go of what
    # the next does not need. pyxform's rows go once its survey JSON is made.
    del workbook
    title = str((survey_json or {}).get("title") or stem)
    if survey_json is not None:
        pyxform_errors = _pyxform_build(survey_json, sheets.get(SURVEY))
        del survey_json
    # pyxform's survey and XForm document are cycles (parent links): freed now, not when the
    # collector next happens to run, which may be while the specification is being built.
    gc.collect()
    reader = _FormReader(sheets, fallback_title=title)
    parsed = reader.read()
    # Ours name every problem by row; pyxform stops at its first, often one of ours again.
    reject_if_errors(reader.errors or pyxform_errors)
    parsed.warnings = sorted(reader.warnings, key=_workbook_order)
    return parsed


def reject_if_errors(errors: list[SheetRowError]) -> None:
    """Raise ``ImportRejected`` with the errors in workbook order; nothing is written."""
    if errors:
        in_order = sorted(errors, key=_workbook_order)
        raise ImportRejected(
            _(
                "Nothing was imported: the XLSForm has %(count)d error(s). Correct them and "
                "upload the file again."
            )
            % {"count": len(errors)},
            errors=[*in_order],
        )


def _workbook_order(error: SheetRowError) -> tuple[int, int, str]:
    return ({SETTINGS: 0, SURVEY: 1, CHOICES: 2}.get(error.sheet, 3), error.row, error.column)


def write_xlsform(spec: dict[str, Any], *, version: int | None = None) -> bytes:
    """An XLSForm workbook (.xlsx bytes) for a valid questionnaire specification."""
    from openpyxl import Workbook

    types = {q["key"]: q["type"] for s in spec["sections"] for q in s["questions"]}
    survey_rows: list[dict[str, Any]] = []
    lists = _ChoiceLists()
    for section in spec["sections"]:
        survey_rows.append(
            {
                "type": "begin_group",
                "name": section["key"],
                "label::nb": section["title"],
                "label::en": section.get("title_en", ""),
                "hint::nb": section.get("description", ""),
                "hint::en": section.get("description_en", ""),
                "relevant": condition_to_xpath(section.get("relevant"), types),
                "weight": _number_cell(section.get("weight", 1)),
                **_translation_cells(section),
            }
        )
        for question in section["questions"]:
            survey_rows.append(_question_row(question, types, lists))
        survey_rows.append({"type": "end_group"})
    survey_header = _with_extra_columns(SURVEY_HEADER, survey_rows)

    workbook = Workbook()
    survey = workbook.active
    assert survey is not None  # a new workbook has one sheet
    survey.title = SURVEY
    _write_sheet(survey, survey_header, survey_rows)
    choices_header = _with_extra_columns(CHOICES_HEADER, lists.rows)
    _write_sheet(workbook.create_sheet(CHOICES), choices_header, lists.rows)
    settings = {
        "form_title": spec["title"],
        # pyxform (KoboToolbox, ODK) cannot take form_title::en; it ignores this column.
        "form_title_en": spec.get("title_en", ""),
        "form_id": spec["slug"],
        "version": version if version is not None else "",
        "default_language": "nb",
        "kind": spec.get("kind", QuestionnaireKind.SURVEY),
        "intro::nb": spec.get("intro", ""),
        "intro::en": spec.get("intro_en", ""),
    }
    _write_sheet(workbook.create_sheet(SETTINGS), list(settings), [settings])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def condition_to_xpath(condition: Any, types: dict[str, str]) -> str:
    """A branching condition (surveys/branching.py) as an XLSForm ``relevant`` expression."""
    if condition is None:
        return ""
    return _xpath(condition, types)


# Reading ------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass
class _Sheet:
    name: str
    columns: list[str]  # canonical names, in the order of the header
    headers: dict[str, str]  # canonical name → the header as written
    rows: list[_Row]
    header_errors: list[tuple[str, str]] = field(default_factory=list)  # (header, message)

    def header(self, column: str) -> str:
        return self.headers.get(column, column)


@dataclass
class _QuestionContext:
    type: str
    values: set[str] | None  # the codes a choice question accepts; None when open
    scale: tuple[int, int] | None


def _load_workbook(*, file: IO[bytes], filename: str) -> tuple[Any, str]:
    """pyxform's reading of the upload (its sheets as rows of text), and the file name's stem.

    The size and the rows are limited before pyxform reads anything."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import get_xlsform

    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    extension = extension.lower()
    if extension and extension not in FILE_TYPES:
        raise DomainError(
            _(
                "Unsupported file type %(name)s: an XLSForm is an Excel workbook (.xlsx or .xls), "
                "a CSV file or a Markdown table (.md)."
            )
            % {"name": filename},
            code="file_type",
        )
    data = upload_read(file=file, max_bytes=MAX_BYTES)
    if extension in {"xlsx", "xlsm"}:
        xlsx_check_rows(data=data, max_rows=MAX_ROWS, max_bytes=MAX_BYTES, empty_run=EMPTY_RUN)
    elif data.count(b"\n") > 3 * (MAX_ROWS + EMPTY_RUN):  # a CSV or Markdown file's lines
        raise too_many_rows(MAX_ROWS)
    unreadable = DomainError(
        _("The file is not a readable XLSForm (.xlsx, .xls, .csv or .md)."), code="not_xlsx"
    )
    try:
        workbook = get_xlsform(io.BytesIO(data), file_type=f".{extension}" if extension else None)
    except PyXFormError:
        raise unreadable from None
    except Exception:  # the readers under pyxform raise many types for a corrupt file
        raise unreadable from None
    return workbook, slugify(stem)[:80] or "form"


def _sheets_of(workbook: Any) -> dict[str, _Sheet]:
    settings_rows = list(getattr(workbook, SETTINGS, None) or [])
    default = "nb"
    if settings_rows:
        written = str(settings_rows[0].get("default_language") or "").strip()
        default = _language(written) or written or "nb"
    sheets: dict[str, _Sheet] = {}
    for name in (SURVEY, CHOICES, SETTINGS):
        rows = getattr(workbook, name, None)
        if rows is None:
            continue
        header_rows = getattr(workbook, f"{name}_header", None) or [{}]
        headers = [str(h) for h in header_rows[0]] if header_rows else []
        for row in rows:  # pyxform lists headers seen; a row may add one
            headers += [str(h) for h in row if str(h) not in headers]
        sheets[name] = _sheet(name, headers, rows, default)
    return sheets


def _sheet(name: str, headers: list[str], rows: list[dict[str, Any]], default: str) -> _Sheet:
    sheet = _Sheet(name=name, columns=[], headers={}, rows=[])
    canonical_of: dict[str, str] = {}
    fallbacks: dict[str, str] = {}  # a plain column beside the same language's explicit one
    explicit = {_canonical_column(h, default) for h in headers if "::" in h}
    for written in headers:
        canonical = _canonical_column(written, default)
        if not canonical:
            continue
        if "::" not in written and canonical in explicit:
            fallbacks[written] = canonical
            continue
        if canonical in sheet.headers:
            sheet.header_errors.append(
                (written, _("The column %(column)s appears twice.") % {"column": written})
            )
            continue
        sheet.headers[canonical] = written
        sheet.columns.append(canonical)
        canonical_of[written] = canonical
    for index, raw in enumerate(rows):
        cells: dict[str, str] = {}
        for written, value in raw.items():
            text = _cell_text(value)
            if written in canonical_of and text:
                cells[canonical_of[written]] = text
        for written, canonical in fallbacks.items():
            if not cells.get(canonical):
                text = _cell_text(raw.get(written))
                if text:
                    cells[canonical] = text
        if any(cells.values()):
            sheet.rows.append(_Row(number=index + 2, cells=cells))
    return sheet


def _pyxform_convert(
    workbook: Any, stem: str, survey: "_Sheet | None"
) -> tuple[list[SheetRowError], dict[str, Any] | None]:
    """pyxform's survey JSON for the workbook, or its refusal."""
    from pyxform.xls2json import workbook_to_json

    try:
        return [], workbook_to_json(workbook_dict=workbook, fallback_form_name=stem, warnings=[])
    except Exception as exc:  # PyXFormError, and what pyxform lets through on odd input
        return [_pyxform_error(str(exc), survey)], None


def _pyxform_build(survey_json: dict[str, Any], survey: "_Sheet | None") -> list[SheetRowError]:
    """pyxform's verdict on the XForm it would build from its survey JSON.

    What ``to_xml(validate=False)`` does, without keeping the XForm's text (for a 5 MB workbook
    the text and its copies were the largest part of an import's memory): the document is built
    and written out as ``to_xml`` writes it (pretty-printed, UTF-8), to nowhere.
    """
    from pyxform.builder import create_survey_element_from_dict

    try:
        document = create_survey_element_from_dict(survey_json).xml()
        document.writexml(_Utf8Sink(), "", "  ", "\n")
    except Exception as exc:  # PyXFormError, and what pyxform lets through on odd input
        return [_pyxform_error(str(exc), survey)]
    return []


class _Utf8Sink:
    """A text stream that keeps nothing, and refuses what UTF-8 cannot write (as the file
    ``to_xml`` writes does)."""

    def write(self, text: str) -> int:
        text.encode("utf-8")
        return len(text)


def _pyxform_error(message: str, survey: "_Sheet | None") -> SheetRowError:
    """pyxform's message (in English, as pyxform writes it) on the row it names."""
    found = re.search(r"\[row\s*:\s*(\d+)\]", message)
    sheet = CHOICES if re.search(r"\bchoices\b", message[:80], re.IGNORECASE) else SURVEY
    row = int(found.group(1)) if found else 1
    named = re.search(r"named '([^']+)'", message)
    if not found and named and survey is not None:
        sheet = SURVEY
        row = next((r.number for r in survey.rows if r.get("name") == named.group(1)), 1)
    text = re.sub(r"\s+", " ", message).strip()[:500]
    return SheetRowError(
        row=row,
        column="",
        message=_("pyxform, the reference XLSForm converter, refuses the form: %(message)s")
        % {"message": text},
        sheet=sheet,
    )


def _language(written: str) -> str:
    """nb or en for a language as XLSForm writes it (``nb``, ``Norsk (nb)``, ``English``)."""
    code = re.search(r"\(([^)]*)\)\s*$", written)
    key = (code.group(1) if code else written).strip().lower()
    return LANGUAGES.get(key, "")


def _canonical_column(header: str, default: str = "nb") -> str:
    """The column's name as this module uses it: ``label::nb``, ``label::en``, or
    ``label::<language as written>`` for any other language (kept, not shown)."""
    text = header.strip()
    if not text:
        return ""
    base, sep, language = (part.strip() for part in text.partition("::"))
    base = base.lower().replace(" ", "_")
    if base not in TRANSLATABLE:
        return text.lower() if sep else base
    if not sep:
        return f"{base}::{default}"
    return f"{base}::{_language(language) or language}"


def _normal_type(raw: str) -> tuple[str, str, bool]:
    """(kind, argument, or_other) of a type cell, in any spelling pyxform takes."""
    from pyxform import aliases, constants

    text = " ".join(raw.split())
    if text.lower().endswith(" or specify other"):  # pyxform's older spelling of or_other
        text = text[: -len(" or specify other")] + " or_other"
    low = text.lower()
    if not low:
        return "", "", False
    if low.split()[0] == "osm":
        return "osm", "", False
    group = re.fullmatch(r"(begin|end)[ _](group|repeat|loop|looped[ _]group|lgroup)\b.*", low)
    if group:
        return f"{group.group(1)}_{'group' if group.group(2) == 'group' else 'repeat'}", "", False
    for alias in sorted(aliases.select, key=len, reverse=True):
        if low != alias and not low.startswith(alias + " "):
            continue
        rest = text[len(alias) :].split()
        or_other = len(rest) == 2 and rest[1].lower() == "or_other"
        if len(rest) > (2 if or_other else 1):
            return low, "", False  # not a type: its message names it
        base = aliases.select[alias]
        if alias in aliases.select_from_file:
            kind = (
                "select_one_from_file"
                if base == constants.SELECT_ONE
                else "select_multiple_from_file"
            )
        else:
            kind = {
                constants.SELECT_ONE: "select_one",
                constants.SELECT_ALL_THAT_APPLY: "select_multiple",
                constants.SELECT_ONE_EXTERNAL: "select_one_external",
            }.get(base, "rank")
        return kind, rest[0] if rest else "", or_other
    if low in METADATA_TYPES or low in METADATA_ALIASES:
        return METADATA_ALIASES.get(low, low), "", False
    return TYPE_ALIASES.get(low, low), "", False


def _only_duration(sheet: _Sheet) -> bool:
    return all(row.get("appearance").lower() in {"", "duration"} for row in sheet.rows)


def _is_search(row: _Row) -> bool:
    """A select whose choices come from a file by search(): its list holds only placeholders."""
    return "search(" in row.get("appearance").lower().replace(" ", "")


def _both(first: dict[str, Any] | None, second: dict[str, Any] | None) -> dict[str, Any] | None:
    """The condition that both hold (a group's and its own); None is always."""
    if first is None or second is None:
        return first or second
    parts = [
        *(first["all"] if set(first) == {"all"} else [first]),
        *(second["all"] if set(second) == {"all"} else [second]),
    ]
    return {"all": parts}


def _other_languages(row: _Row, bases: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Texts in languages other than nb and en: kept, exported back, not shown."""
    kept: dict[str, dict[str, str]] = {}
    for column, text in row.cells.items():
        base, _sep, language = column.partition("::")
        if base in bases and language not in {"", "nb", "en"} and text:
            kept.setdefault(base, {})[language] = text
    return kept


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _FormReader:
    """Reads the three sheets into a specification, collecting every error on the way."""

    def __init__(self, sheets: dict[str, _Sheet], *, fallback_title: str = "") -> None:
        self.sheets = sheets
        self.fallback_title = fallback_title
        self.errors: list[SheetRowError] = []
        self.warnings: list[SheetRowError] = []
        self.parsed = ParsedForm(spec={})
        self.lists: dict[str, list[dict[str, Any]]] = {}
        self.choice_rows: dict[str, dict[str, _Row]] = {}  # list → code → its row
        self.earlier: dict[str, _QuestionContext] = {}
        #: Calculations web surveys cannot compute: name → (row, why).
        self.uncomputed: dict[str, tuple[int, str]] = {}
        #: Rows kept but never asked (metadata, media…): they have no value to compute with.
        self.never_asked: set[str] = set()

    def read(self) -> ParsedForm:
        survey = self.sheets.get(SURVEY)
        if survey is None:
            raise DomainError(
                _("The file has no sheet named survey: an XLSForm lists its questions there."),
                code="no_survey",
            )
        if not survey.rows:
            raise DomainError(_("The survey sheet is empty."), code="empty_survey")
        for sheet in self.sheets.values():
            for header, message in sheet.header_errors:
                self._error(sheet.name, 1, header, message)
        missing = [column for column in ("type", "name") if column not in survey.headers]
        for column in missing:
            self._error(
                SURVEY,
                1,
                column,
                _("The survey sheet needs a %(column)s column.") % {"column": column},
            )
        if missing:
            return self.parsed
        self.parsed.spec = self._settings(self.sheets.get(SETTINGS))
        self._choices()
        self.parsed.spec["sections"] = self._survey(survey)
        return self.parsed

    def _warn(self, sheet: str, row: int, column: str, message: str) -> None:
        self.warnings.append(SheetRowError(row=row, column=column, message=message, sheet=sheet))

    def _error(self, sheet: str, row: int, column: str, message: str) -> None:
        self.errors.append(SheetRowError(row=row, column=column, message=message, sheet=sheet))

    # settings

    def _settings(self, sheet: _Sheet | None) -> dict[str, Any]:
        row = sheet.rows[0] if sheet and sheet.rows else _Row(number=2, cells={})
        # XLSForm needs no title: pyxform then takes the file's name, and so do we.
        title = row.get("form_title::nb") or row.get("form_title::en") or self.fallback_title
        slug = row.get("form_id") or row.get("id_string")
        if not slug:
            slug = slugify(title)[:80] or "form"
        elif len(slug) > 80 or not re.fullmatch(r"[A-Za-z0-9_-]+", slug):
            written, slug = slug, slugify(slug)[:80] or "form"
            self._warn(
                SETTINGS,
                row.number,
                sheet.header("form_id") if sheet else "form_id",
                _("The questionnaire's key is %(key)s: form_id %(form_id)s has other characters.")
                % {"key": slug, "form_id": written},
            )
        kind = row.get("kind").lower() or QuestionnaireKind.SURVEY
        if kind not in QuestionnaireKind.values:
            self._error(
                SETTINGS,
                row.number,
                "kind",
                _("Unknown kind “%(kind)s”: use %(kinds)s.")
                % {"kind": kind, "kinds": ", ".join(QuestionnaireKind.values)},
            )
        return {
            "slug": slug,
            "kind": kind,
            "title": title,
            "title_en": row.get("form_title_en") or row.get("form_title::en"),
            "intro": row.get("intro::nb"),
            "intro_en": row.get("intro::en"),
        }

    # choices

    def _choices(self) -> None:
        sheet = self.sheets.get(CHOICES)
        if sheet is None:
            return
        if "name" not in sheet.headers and "value" in sheet.headers:
            sheet.headers["name"] = sheet.headers["value"]
            for row in sheet.rows:
                row.cells["name"] = row.get("value")
        for row in sheet.rows:
            list_name, code = row.get("list_name"), row.get("name")
            where = (CHOICES, row.number)
            if not list_name:
                self._error(*where, "list_name", _("The choice has no list_name."))
                continue
            options = self.lists.setdefault(list_name, [])
            if not code:
                self._error(*where, "name", _("The choice has no name (its code)."))
            elif len(code) > 60 or any(c.isspace() for c in code):
                self._error(
                    *where,
                    sheet.header("name"),
                    _("A choice name has no spaces and at most 60 characters."),
                )
            elif looks_like_formula(code):
                self._error(
                    *where,
                    sheet.header("name"),
                    _(
                        "The choice name %(name)s starts with =, +, -, @, a tab or a line break, "
                        "which spreadsheets run as a formula: start it with a letter or digit."
                    )
                    % {"name": code},
                )
            elif any(o["value"] == code for o in options):
                self._error(
                    *where,
                    sheet.header("name"),
                    _("The list %(list)s has the choice %(name)s twice.")
                    % {"list": list_name, "name": code},
                )
            label = self._label(sheet, row, _("choice"))
            points = self._decimal(sheet, row, "points")
            option: dict[str, Any] = {
                "value": code,
                "label": label,
                "label_en": row.get("label::en"),
                "points": points,
            }
            translations = _other_languages(row, ("label",))
            if translations:
                option["translations"] = translations
            options.append(option)
            self.choice_rows.setdefault(list_name, {}).setdefault(code, row)

    # survey

    def _survey(self, sheet: _Sheet) -> list[dict[str, Any]]:
        names = {
            row.get("name")
            for row in sheet.rows
            if _normal_type(row.get("type"))[0] not in GROUP_ROWS
        }
        sections: list[dict[str, Any]] = []
        stack: list[dict[str, Any]] = []  # the groups (and repeats) open at this row
        current: dict[str, Any] | None = None  # the section questions go into now
        for row in sheet.rows:
            kind, argument, or_other = _normal_type(row.get("type"))
            if not kind:  # pyxform reads a row without a type as a comment
                self._warn(SURVEY, row.number, "type", _("The row has no type; it was left out."))
                continue
            if kind in {"begin_group", "begin_repeat"}:
                if kind == "begin_repeat":
                    self._error(
                        SURVEY,
                        row.number,
                        "type",
                        _(
                            "Repeated groups (begin_repeat) are not supported: a web survey asks "
                            "each question once."
                        ),
                    )
                parent = stack[-1] if stack else None
                group = self._section(sheet, row, names, parent=parent)
                group["repeat"] = kind == "begin_repeat"
                stack.append(group)
                sections.append(group)
                current = group
            elif kind in {"end_group", "end_repeat"}:
                if not stack:
                    self._error(
                        SURVEY, row.number, "type", _("end_group without a begin_group before it.")
                    )
                    continue
                stack.pop()
                current = None  # the outer group's next questions get a section of their own
            else:
                question = self._question(sheet, row, kind, argument, or_other, names)
                if question is None:
                    continue
                if current is None:
                    current = self._continuation(sections, sheet, stack[-1] if stack else None)
                    sections.append(current)
                current["questions"].append(question)
                if question.pop("other", None) is not None:
                    current["questions"].append(self._other_question(row, question))
        self._uncomputed_in_conditions(sheet)
        for group in stack:
            self._error(
                SURVEY,
                self.parsed.section_rows.get(group["key"], 1),
                "type",
                _("The group %(name)s has no end_group.") % {"name": group["key"]},
            )
        self._unsupported_columns(sheet, SURVEY_COLUMNS)
        kept = []
        for section in sections:
            section.pop("repeat", None)
            if section["questions"]:
                kept.append(section)
            elif self.parsed.section_rows.get(section["key"]):
                self._warn(
                    SURVEY,
                    self.parsed.section_rows[section["key"]],
                    "type",
                    _("The group %(name)s has no question a web survey shows; it was left out.")
                    % {"name": section["key"]},
                )
        if not kept and not self.errors:
            raise DomainError(_("The survey sheet has no questions."), code="no_questions")
        return kept

    def _section(
        self, sheet: _Sheet, row: _Row, names: set[str], *, parent: dict[str, Any] | None
    ) -> dict[str, Any]:
        key = row.get("name")
        where = (SURVEY, row.number)
        if not key:
            self._error(*where, "name", _("The group has no name."))
        elif len(key) > 60 or not re.fullmatch(r"[A-Za-z0-9_-]+", key):
            self._error(
                *where,
                "name",
                _("A group name has only letters a–z, digits, - and _, at most 60 of them."),
            )
        elif key in self.parsed.section_rows:
            self._error(
                *where,
                "name",
                _("The group name %(name)s is also used on row %(row)d.")
                % {"name": key, "row": self.parsed.section_rows[key]},
            )
        else:
            self.parsed.section_rows[key] = row.number
        for column in QUESTION_ONLY_COLUMNS:
            if row.get(column):
                self._error(
                    *where,
                    sheet.header(column),
                    _("%(column)s does not apply to a group.") % {"column": sheet.header(column)},
                )
        title = row.get("label::nb") or row.get("label::en")
        if not title:
            title = parent["title"] if parent else (key or self.parsed.spec.get("title", ""))
        relevant = _both(parent["relevant"] if parent else None, self._relevant(row, names))
        section: dict[str, Any] = {
            "key": key,
            "title": title,
            "title_en": row.get("label::en") or (parent["title_en"] if parent else ""),
            "description": row.get("hint::nb"),
            "description_en": row.get("hint::en"),
            "weight": self._decimal(
                sheet, row, "weight", default=parent["weight"] if parent else Decimal(1)
            ),
            "relevant": relevant,
            "questions": [],
        }
        translations = _other_languages(row, ("label", "hint"))
        if translations:
            section["translations"] = translations
        return section

    def _continuation(
        self, sections: list[dict[str, Any]], sheet: _Sheet, group: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The section for questions outside any group, or after a group inside another."""
        taken = {row.get("name") for row in sheet.rows} | set(self.parsed.section_rows)
        base = f"{group['key']}_" if group else "section_"
        number = len(sections) + 1
        key = f"{base}{number}"
        while key in taken:
            number += 1
            key = f"{base}{number}"
        self.parsed.section_rows[key] = 0
        if group is None:
            return {
                "key": key,
                "title": self.parsed.spec.get("title", ""),
                "title_en": self.parsed.spec.get("title_en", ""),
                "questions": [],
            }
        return {
            **{k: v for k, v in group.items() if k not in {"key", "questions", "repeat"}},
            "key": key,
            "questions": [],
        }

    def _question(
        self,
        sheet: _Sheet,
        row: _Row,
        kind: str,
        argument: str,
        or_other: bool,
        names: set[str],
    ) -> dict[str, Any] | None:
        where = (SURVEY, row.number)
        key = row.get("name")
        question: dict[str, Any] = {"key": key}
        if not self._question_type(sheet, row, kind, argument, question):
            return None  # the type's message (or warning) says it all
        key_ok = False
        if not key:
            self._error(*where, "name", _("The question has no name."))
        elif len(key) > 60 or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", key):
            self._error(
                *where,
                "name",
                _(
                    "A question name starts with a letter and has only letters a–z, digits and "
                    "_, at most 60 of them."
                ),
            )
        elif key in self.parsed.question_rows:
            self._error(
                *where,
                "name",
                _("The name %(name)s is also used on row %(row)d.")
                % {"name": key, "row": self.parsed.question_rows[key]},
            )
        else:
            key_ok = True
        hidden = question.pop("hidden", None)
        text = row.get("label::nb") or row.get("label::en") or key if hidden is not None else ""
        text = text or self._label(sheet, row, _("question"))
        if not text:
            self._error(*where, sheet.header("label::nb"), _("The question has an empty label."))
        role = row.get("role").lower()
        if role not in QuestionRole.values:
            self._error(
                *where,
                sheet.header("role"),
                _("Unknown role “%(role)s”: use one of %(roles)s.")
                % {"role": role, "roles": ", ".join(v for v in QuestionRole.values if v)},
            )
        labels = {
            name: row.get(column)
            for name, column in (
                ("min", "min_label::nb"),
                ("min_en", "min_label::en"),
                ("max", "max_label::nb"),
                ("max_en", "max_label::en"),
            )
            if row.get(column)
        }
        question.update(
            role=role,
            text=text,
            text_en=row.get("label::en"),
            help=row.get("hint::nb"),
            help_en=row.get("hint::en"),
            required=self._required(sheet, row),
            allow_na=self._boolean(sheet, row, "allow_na"),
            scored=self._boolean(sheet, row, "scored"),
            weight=self._decimal(sheet, row, "weight", default=Decimal(1)),
            relevant=self._relevant(row, names) if hidden is None else NEVER,
        )
        translations: dict[str, Any] = _other_languages(row, ("label", "hint"))
        for column in MESSAGE_COLUMNS:
            texts = {
                language: text
                for name, text in row.cells.items()
                for base, _sep, language in [name.partition("::")]
                if base == column and text
            }
            if texts:
                translations[column] = texts
        if hidden is None and question["type"] == QuestionType.NOTE:
            question["required"] = False
        if hidden is None and row.get("constraint"):
            question["constraint"] = self._constraint(row, key, question, names)
            translations.update(question.pop("translations", {}))
        if hidden is not None:
            question["required"] = False
            translations[HIDDEN] = hidden
        if translations:
            question["translations"] = translations
        if labels:
            question["scale_labels"] = labels
        if or_other:
            if question["type"] in {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE}:
                question["options"].append(
                    {"value": OTHER, "label": "Annet", "label_en": "Other", "points": None}
                )
                question["other"] = True
            else:
                self._warn(
                    *where, "type", _("or_other applies only to select questions; it was left out.")
                )
        if (
            hidden is None
            and row.get("choice_filter")
            and "choice_filter" not in question
            and question["type"] not in {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE}
            and question["type"] != QuestionType.YES_NO
        ):
            self._warn(
                *where,
                sheet.header("choice_filter"),
                _("choice_filter applies only to select questions; it was left out."),
            )
        if key_ok:
            self.parsed.question_rows[key] = row.number
            self._remember(key, question)
            if kind == "calculate":
                self.earlier[key] = _QuestionContext(type="calculate", values=None, scale=None)
            elif hidden is not None:
                self.never_asked.add(key)
        return question

    def _remember(self, key: str, question: dict[str, Any]) -> None:
        """What later conditions may test about this question."""
        options = question.get("options")
        values = None
        if question["type"] == QuestionType.CHANNEL:
            values = set(Channel.values)
        elif question["type"] == QuestionType.YES_NO and options is None:
            values = {"yes", "no"}
        elif options is not None:
            values = {o["value"] for o in options}
        scale = question.get("scale") or ([0, 10] if question["type"] == "nps" else None)
        self.earlier[key] = _QuestionContext(
            type=question["type"], values=values, scale=(scale[0], scale[1]) if scale else None
        )

    def _other_question(self, row: _Row, question: dict[str, Any]) -> dict[str, Any]:
        """or_other: the text question shown when “other” is chosen (as ODK asks it)."""
        key = f"{question['key']}_{OTHER}"
        condition: dict[str, Any] = (
            {"q": question["key"], "has": OTHER}
            if question["type"] == QuestionType.MULTIPLE_CHOICE
            else {"q": question["key"], "in": [OTHER]}
        )
        other = {
            "key": key,
            "type": QuestionType.TEXT,
            "role": "",
            "text": "Annet, nemlig:",
            "text_en": "Other, please specify:",
            "help": "",
            "help_en": "",
            "required": question["required"],
            "allow_na": False,
            "scored": False,
            "weight": Decimal(1),
            "relevant": condition,
        }
        if key in self.parsed.question_rows:
            self._error(
                SURVEY,
                row.number,
                "type",
                _("or_other adds the question %(name)s, but that name is taken.") % {"name": key},
            )
        else:
            self.parsed.question_rows[key] = row.number
            self._remember(key, other)
        return other

    def _question_type(
        self, sheet: _Sheet, row: _Row, kind: str, argument: str, question: dict[str, Any]
    ) -> bool:
        """Set the question's type (and options or scale) from the type column."""
        where = (SURVEY, row.number, "type")
        if (
            kind in UNSHOWN_TYPES
            or kind in METADATA_TYPES
            or (kind in {"select_one", "select_multiple"} and _is_search(row))
            or (kind == "select_one_from_file" and argument.lower() not in FILES)
        ):
            return self._hidden(row, question)
        if kind == "calculate":
            return self._calculate(row, question)
        if kind in {"select_one", "select_multiple"}:
            return self._select(sheet, row, kind, argument, question)
        if kind == "select_one_from_file":
            question["type"] = FILES[argument.lower()]
            return True
        if kind == "range":
            return self._range(sheet, row, question)
        simple = {
            "text": QuestionType.TEXT,
            "decimal": QuestionType.NUMBER,
            "integer": QuestionType.NUMBER,
            "datetime": QuestionType.DATETIME,
            "date": QuestionType.DATE,
            "time": QuestionType.TIME,
            "note": QuestionType.NOTE,
        }
        if kind in simple:
            question["type"] = simple[kind]
            if kind == "integer" and "duration" in row.get("appearance").lower().split():
                question["type"] = QuestionType.DURATION
            return True
        self._error(
            *where,
            _(
                "The type “%(type)s” is not an XLSForm type. Use select_one, select_multiple, "
                "range, integer, decimal, text, date, time, dateTime, note or begin_group."
            )
            % {"type": row.get("type")},
        )
        return False

    def _hidden(self, row: _Row, question: dict[str, Any]) -> bool:
        """Keep a row web surveys cannot show as a question never shown, to export it back."""
        self._warn(
            SURVEY,
            row.number,
            "type",
            _(
                "“%(type)s” is not shown in web surveys: %(name)s is kept, never shown, and "
                "exported back."
            )
            % {"type": row.get("type"), "name": row.get("name")},
        )
        question["type"] = QuestionType.TEXT
        question["hidden"] = {
            column: row.get(column) for column in HIDDEN_COLUMNS if row.get(column)
        }
        return True

    def _calculate(self, row: _Row, question: dict[str, Any]) -> bool:
        """A calculate row: never shown, its cells kept to export back, and its value computed
        from the answers when the expression is in the part of XPath we evaluate."""
        question["type"] = QuestionType.TEXT
        question["hidden"] = {
            column: row.get(column) for column in HIDDEN_COLUMNS if row.get(column)
        }
        try:
            tree = parse_expression(row.get("calculation"))
            if row.get("relevant"):  # ODK leaves a calculation that is not relevant empty
                tree = {"fn": "if", "args": [parse_expression(row.get("relevant")), tree, ""]}
            self._check_references(tree)
        except ExpressionError as exc:
            self.uncomputed[row.get("name")] = (row.number, str(exc))
            self._warn(
                SURVEY,
                row.number,
                "calculation",
                _(
                    "The calculation of %(name)s is not computed in web surveys: %(reason)s It "
                    "is kept and exported back; a label that shows it shows “…”."
                )
                % {"name": row.get("name"), "reason": str(exc)},
            )
            return True
        question["calculation"] = tree
        return True

    def _check_references(self, tree: Any) -> None:
        """An expression may read earlier questions and calculations that are computed."""
        for key in sorted(references(tree)):
            if key in self.uncomputed:
                raise ExpressionError(
                    _("it uses ${%(name)s}, whose calculation is not computed.") % {"name": key}
                )
            if key in self.never_asked:
                raise ExpressionError(
                    _("it uses ${%(name)s}, which web surveys do not ask.") % {"name": key}
                )
            if key not in self.earlier:
                raise ExpressionError(_("${%(name)s} is not an earlier question.") % {"name": key})

    def _uncomputed_in_conditions(self, sheet: _Sheet) -> None:
        """A relevant or constraint that reads a calculation we cannot compute would change
        meaning: the form is refused, naming the calculation's row."""
        for row in sheet.rows:
            for column in ("relevant", "constraint"):
                for name in _REFERENCE.findall(row.get(column)):
                    if name.strip() not in self.uncomputed:
                        continue
                    number, reason = self.uncomputed[name.strip()]
                    self._error(
                        SURVEY,
                        number,
                        "calculation",
                        _(
                            "The calculation of %(name)s cannot be computed in web surveys "
                            "(%(reason)s), and the %(column)s on row %(row)d depends on it."
                        )
                        % {
                            "name": name.strip(),
                            "reason": reason.rstrip("."),
                            "column": column,
                            "row": row.number,
                        },
                    )

    def _choice_filter(
        self, sheet: _Sheet, row: _Row, list_name: str, question: dict[str, Any]
    ) -> None:
        """Keep a choice_filter as an expression over earlier answers and the choices' own
        columns (copied onto the options); one we cannot evaluate shows every choice."""
        text = row.get("choice_filter")
        choices = self.sheets.get(CHOICES)
        if not text or choices is None:
            return
        try:
            tree = parse_expression(text, columns=True)
            self._check_references(tree)
            columns = columns_read(tree) - {"name", "label"}
            for column in sorted(columns):
                if _canonical_column(column) not in choices.headers:
                    raise ExpressionError(
                        _("the choices sheet has no column %(column)s.") % {"column": column}
                    )
        except ExpressionError as exc:
            self._warn(
                SURVEY,
                row.number,
                sheet.header("choice_filter"),
                _("choice_filter is not applied, every choice is shown: %(reason)s")
                % {"reason": str(exc)},
            )
            return
        question["choice_filter"] = tree
        rows = self.choice_rows.get(list_name, {})
        for option in question["options"]:
            cells = rows.get(option["value"])
            kept = {
                column: cells.get(_canonical_column(column))
                for column in sorted(columns)
                if cells is not None and cells.get(_canonical_column(column))
            }
            if kept:
                option["columns"] = kept

    def _select(
        self, sheet: _Sheet, row: _Row, select: str, list_name: str, question: dict[str, Any]
    ) -> bool:
        if not list_name:
            self._error(SURVEY, row.number, "type", _("The select has no list name after it."))
            return False
        if list_name not in self.lists:
            message = (
                _("The list %(list)s is not on the choices sheet.")
                if CHOICES in self.sheets
                else _("The workbook has no choices sheet, so the list %(list)s is missing.")
            )
            self._error(SURVEY, row.number, "type", message % {"list": list_name})
            return False
        options = [dict(o) for o in self.lists[list_name]]
        codes = {o["value"] for o in options}
        is_yes_no = (
            select == "select_one"
            and (list_name == YES_NO_LIST or list_name.startswith(f"{YES_NO_LIST}_"))
            and codes == {"yes", "no"}
            and len(options) == 2
        )
        if len(options) < 2 and not is_yes_no:
            self._warn(
                SURVEY,
                row.number,
                "type",
                _("The list %(list)s has fewer than two choices: a web survey cannot ask it.")
                % {"list": list_name},
            )
            return self._hidden(row, question)
        if is_yes_no:
            question["type"] = QuestionType.YES_NO
        elif select == "select_one":
            question["type"] = QuestionType.SINGLE_CHOICE
        else:
            question["type"] = QuestionType.MULTIPLE_CHOICE
        question["options"] = options
        self._choice_filter(sheet, row, list_name, question)
        return True

    def _range(self, sheet: _Sheet, row: _Row, question: dict[str, Any]) -> bool:
        params: dict[str, str] = {}
        for pair in re.split(r"[\s,;]+", row.get("parameters").strip()):
            name, _sep, value = pair.partition("=")
            if name:
                params[name.strip().lower()] = value.strip()
        try:
            start = Decimal(params.get("start", "1"))
            end = Decimal(params.get("end", "10"))
            step = Decimal(params.get("step", "1"))
        except InvalidOperation:
            start, end, step = Decimal(-1), Decimal(-1), Decimal(0)
        if step == 1 and (start, end) == (0, 10):
            question["type"] = QuestionType.NPS
            return True
        if (
            step == 1
            and (int(start), int(end)) in RATING_SCALES
            and start == int(start)
            and end == int(end)
        ):
            question["type"] = QuestionType.RATING
            question["scale"] = [int(start), int(end)]
            return True
        question["type"] = QuestionType.NUMBER
        self._warn(
            SURVEY,
            row.number,
            sheet.header("parameters"),
            _(
                "This range is not a rating scale (start=1 with end=5, 6, 7 or 10) nor NPS "
                "(start=0 end=10): it is asked as a number."
            ),
        )
        return True

    def _required(self, sheet: _Sheet, row: _Row) -> bool:
        value = row.get("required").strip()
        if value.startswith("${") or "(" in value.rstrip("()"):
            self._warn(
                SURVEY,
                row.number,
                sheet.header("required"),
                _("A required condition is not checked; the question is optional."),
            )
            return False
        return self._boolean(sheet, row, "required")

    def _constraint(
        self, row: _Row, key: str, question: dict[str, Any], names: set[str]
    ) -> dict[str, Any] | None:
        """The constraint as a condition on the answer (``.``) and earlier answers."""
        before = self.earlier.get(key)
        self._remember(key, question)
        try:
            return _XPathParser(row.get("constraint"), self.earlier, names, current=key).parse()
        except _XPathError as exc:
            # Not checked, but kept and exported back: a form stays usable without it.
            self._warn(
                SURVEY,
                row.number,
                "constraint",
                _("This constraint is not checked in web surveys: %(reason)s")
                % {"reason": str(exc)},
            )
            question.setdefault("translations", {})[UNCHECKED] = {
                "constraint": row.get("constraint")
            }
            return None
        finally:
            if before is None:
                self.earlier.pop(key, None)
            else:
                self.earlier[key] = before

    def _relevant(self, row: _Row, names: set[str]) -> dict[str, Any] | None:
        expression = row.get("relevant")
        if not expression:
            return None
        constant = expression.replace(" ", "").lower()
        if constant in {"1", "true()"}:
            return None
        if constant in {"0", "false()"}:
            return NEVER
        try:
            return _XPathParser(expression, self.earlier, names).parse()
        except _XPathError as exc:
            self._error(SURVEY, row.number, "relevant", str(exc))
            return None

    def _label(self, sheet: _Sheet, row: _Row, what: str, column: str = "label") -> str:
        """The bokmål text of a label; the English one, or the name, when there is none."""
        text = row.get(f"{column}::nb")
        if text:
            return text
        english = row.get(f"{column}::en")
        others = [v for k, v in row.cells.items() if k.startswith(f"{column}::") and v]
        fallback = english or (others[0] if others else "") or row.get("name")
        if fallback:
            self._warn(
                sheet.name,
                row.number,
                sheet.header(f"{column}::nb"),
                _("The %(what)s has no bokmål text; “%(text)s” is shown in its place.")
                % {"what": what, "text": fallback[:80]},
            )
        return fallback

    # cells

    def _unsupported_columns(self, sheet: _Sheet, supported: set[str]) -> None:
        """A warning for each column the platform does not use, on its first filled row."""
        specific = {
            "default": _("Default answers are not filled in."),
            "read_only": _("Read-only questions are asked like the others."),
            "appearance": _("appearance is not shown in web surveys."),
        }
        for column in sheet.columns:
            if column in supported or column.startswith("$"):  # KoboToolbox's $kuid, $autoname…
                continue
            if column.partition("::")[2] not in {"", "nb", "en"} and column.partition("::")[0] in {
                "label",
                "hint",
            }:
                continue  # other languages are kept
            first = next((row for row in sheet.rows if row.get(column)), None)
            if first is None or (column == "appearance" and _only_duration(sheet)):
                continue
            self._warn(
                sheet.name,
                first.number,
                sheet.header(column),
                specific.get(
                    column,
                    _("The column %(column)s is not used by web surveys; it was left out.")
                    % {"column": sheet.header(column)},
                ),
            )

    def _boolean(self, sheet: _Sheet, row: _Row, column: str) -> bool:
        value = row.get(column).strip().lower()
        if value in TRUE_WORDS:
            return True
        if value not in FALSE_WORDS:
            self._error(
                sheet.name,
                row.number,
                sheet.header(column),
                _("%(column)s must be yes or no, not “%(value)s”.")
                % {"column": sheet.header(column), "value": row.get(column)},
            )
        return False

    def _decimal(
        self, sheet: _Sheet, row: _Row, column: str, default: Decimal | None = None
    ) -> Decimal | None:
        text = row.get(column).replace(",", ".")
        if not text:
            return default
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or not 0 <= number <= 10_000:
            self._error(
                sheet.name,
                row.number,
                sheet.header(column),
                _("%(column)s must be a number from 0 to 10 000, not “%(value)s”.")
                % {"column": sheet.header(column), "value": row.get(column)},
            )
            return default
        if number != number.quantize(Decimal("0.001")):
            self._error(
                sheet.name,
                row.number,
                sheet.header(column),
                _("%(column)s may have at most three decimals, not “%(value)s”.")
                % {"column": sheet.header(column), "value": row.get(column)},
            )
            return default
        return number


# relevant expressions -----------------------------------------------------------------------


class _XPathError(ValueError):
    """A relevant expression we cannot take; the message is for the user."""


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<ref>\$\{[^}]*\})
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<number>\d+(?:\.\d+)?|\.\d+)
    | (?P<op>!=|<=|>=|=|<|>)
    | (?P<punct>[(),])
    | (?P<arith>[-+*|])
    | (?P<path>\.\.?|/)
    | (?P<name>[^\W\d][\w.:-]*)
    """,
    re.VERBOSE,
)
_FLIPPED = {"=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_REFERENCE = re.compile(r"\$\{([^}]*)\}")


@dataclass
class _Token:
    kind: str
    text: str


class _XPathParser:
    """Recursive descent over the small part of XPath that maps onto our conditions."""

    def __init__(
        self,
        expression: str,
        earlier: dict[str, _QuestionContext],
        names: set[str],
        *,
        current: str = "",
    ) -> None:
        self.current = current  # the question a constraint checks: ``.`` in the expression
        self.tokens = self._tokenize(expression)
        self.position = 0
        self.earlier = earlier
        self.names = names

    def parse(self) -> dict[str, Any]:
        condition = self._or()
        if self._peek() is not None:
            raise _XPathError(
                _("Unexpected “%(text)s” in the expression.") % {"text": self._peek_text()}
            )
        return condition

    def _tokenize(self, expression: str) -> list[_Token]:
        tokens: list[_Token] = []
        position = 0
        while position < len(expression):
            match = _TOKEN.match(expression, position)
            if match is None:
                rest = expression[position:]
                if rest[0] in "'\"":
                    raise _XPathError(_("A text in quotes is not closed."))
                if rest.startswith("${"):
                    raise _XPathError(_("A ${…} reference is not closed."))
                raise _XPathError(
                    _("“%(char)s” is not understood in the expression.") % {"char": rest[0]}
                )
            position = match.end()
            kind = match.lastgroup or ""
            if kind == "space":
                continue
            text = match.group()
            if kind == "arith" or (kind == "name" and text in {"div", "mod"}):
                raise _XPathError(_("Arithmetic (%(op)s) is not supported.") % {"op": text})
            if kind == "path" and text == "." and self.current:
                kind, text = "ref", f"${{{self.current}}}"
            elif kind == "path":
                raise _XPathError(_("Paths such as . and .. are not supported; use ${name}."))
            tokens.append(_Token(kind, text))
        return tokens

    def _peek(self, offset: int = 0) -> _Token | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def _peek_text(self) -> str:
        token = self._peek()
        return token.text if token else ""

    def _next(self) -> _Token:
        token = self._peek()
        if token is None:
            raise _XPathError(_("The expression ends too early."))
        self.position += 1
        return token

    def _expect(self, text: str) -> None:
        token = self._next()
        if token.text != text:
            raise _XPathError(
                _("Expected “%(expected)s” but found “%(found)s”.")
                % {"expected": text, "found": token.text}
            )

    def _is_word(self, word: str) -> bool:
        token = self._peek()
        return token is not None and token.kind == "name" and token.text == word

    def _or(self) -> dict[str, Any]:
        parts = [self._and()]
        while self._is_word("or"):
            self.position += 1
            parts.append(self._and())
        return _merge_any(parts)

    def _and(self) -> dict[str, Any]:
        parts = [self._primary()]
        while self._is_word("and"):
            self.position += 1
            parts.append(self._primary())
        if len(parts) == 1:
            return parts[0]
        flat: list[dict[str, Any]] = []
        for part in parts:
            flat.extend(part["all"] if set(part) == {"all"} else [part])
        return {"all": flat}

    def _primary(self) -> dict[str, Any]:
        token = self._next()
        if token.text == "(":
            inner = self._or()
            self._expect(")")
            return inner
        following = self._peek()
        if token.kind == "name" and following is not None and following.text == "(":
            self.position += 1
            if token.text == "not":
                inner = self._or()
                self._expect(")")
                return {"not": inner}
            if token.text == "selected":
                return self._selected()
            raise _XPathError(
                _(
                    "The function %(name)s() is not supported; use ${q} = 'x', "
                    "selected(${q}, 'x'), not(), and, or."
                )
                % {"name": token.text}
            )
        if token.kind == "ref":
            return self._comparison(token, reversed_=False)
        if token.kind in {"string", "number"}:
            return self._comparison(token, reversed_=True)
        if token.kind == "name":
            raise _XPathError(
                _("“%(name)s” is not understood; refer to a question as ${name}.")
                % {"name": token.text}
            )
        raise _XPathError(_("Unexpected “%(text)s” in the expression.") % {"text": token.text})

    def _selected(self) -> dict[str, Any]:
        ref = self._next()
        if ref.kind != "ref":
            raise _XPathError(_("selected() takes a question, as in selected(${q}, 'x')."))
        key, context = self._question(ref)
        self._expect(",")
        literal = self._literal()
        self._expect(")")
        if context.type not in CHOICE_TYPES:
            raise _XPathError(
                _("selected() works only on select questions, and ${%(name)s} is not one.")
                % {"name": key}
            )
        self._check_value(key, context, literal)
        return {"q": key, "in": [literal]}

    def _comparison(self, first: _Token, *, reversed_: bool) -> dict[str, Any]:
        operator = self._next()
        if operator.kind != "op":
            raise _XPathError(
                _("A comparison is missing after “%(text)s”: write ${q} = 'x'.")
                % {"text": first.text}
            )
        if reversed_:
            ref = self._next()
            if ref.kind != "ref":
                raise _XPathError(_("A comparison needs a question: ${name}."))
            literal = self._literal_of(first)
            op = _FLIPPED[operator.text]
        else:
            ref = first
            if self._peek() is not None and self._peek_text().startswith("${"):
                raise _XPathError(_("Comparing two questions is not supported."))
            literal = self._literal()
            op = operator.text
        key, context = self._question(ref)
        if op in {"=", "!="}:
            if context.type == QuestionType.MULTIPLE_CHOICE:
                raise _XPathError(
                    _("${%(name)s} is a select_multiple question: use selected(${%(name)s}, 'x').")
                    % {"name": key}
                )
            self._check_value(key, context, literal)
            condition: dict[str, Any] = {"q": key, "in": [literal]}
            return condition if op == "=" else {"not": condition}
        if context.scale is None and context.type in {
            QuestionType.NUMBER,
            QuestionType.DURATION,
            "calculate",
        }:
            try:
                number = Decimal(literal)
            except InvalidOperation:
                raise _XPathError(_("Compare ${%(name)s} with a number.") % {"name": key}) from None
            value = int(number) if number == number.to_integral_value() else float(number)
            return {"q": key, "cmp": op, "value": value}
        if context.scale is None:
            raise _XPathError(
                _("<, <=, > and >= work only on range questions, and ${%(name)s} is not one.")
                % {"name": key}
            )
        try:
            bound = Decimal(literal)
        except InvalidOperation:
            raise _XPathError(_("Compare ${%(name)s} with a number.") % {"name": key}) from None
        tests = {
            "<": lambda v: v < bound,
            "<=": lambda v: v <= bound,
            ">": lambda v: v > bound,
            ">=": lambda v: v >= bound,
        }
        low, high = context.scale
        values = [str(v) for v in range(low, high + 1) if tests[op](v)]
        if not values:
            raise _XPathError(_("The condition on ${%(name)s} can never be true.") % {"name": key})
        return {"q": key, "in": values}

    def _literal(self) -> str:
        return self._literal_of(self._next())

    def _literal_of(self, token: _Token) -> str:
        if token.kind == "string":
            return token.text[1:-1]
        if token.kind == "number":
            number = Decimal(token.text)
            return str(int(number)) if number == number.to_integral_value() else token.text
        raise _XPathError(
            _("Expected a value in quotes, such as 'yes', but found “%(text)s”.")
            % {"text": token.text}
        )

    def _question(self, ref: _Token) -> tuple[str, _QuestionContext]:
        key = ref.text[2:-1].strip()
        context = self.earlier.get(key)
        if context is not None:
            return key, context
        if key in self.names:
            raise _XPathError(
                _(
                    "${%(name)s} is not an earlier question: a condition may refer only to "
                    "questions before it."
                )
                % {"name": key}
            )
        raise _XPathError(_("There is no question named %(name)s.") % {"name": key})

    def _check_value(self, key: str, context: _QuestionContext, value: str) -> None:
        if context.values is not None and value not in context.values:
            raise _XPathError(
                _("“%(value)s” is not a choice of ${%(name)s}.") % {"value": value, "name": key}
            )
        if context.scale is not None:
            low, high = context.scale
            if not (value.isdigit() and low <= int(value) <= high):
                raise _XPathError(
                    _("%(value)s is not on the scale of ${%(name)s} (%(low)d–%(high)d).")
                    % {"value": value, "name": key, "low": low, "high": high}
                )


def _merge_any(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """``or`` of alternatives; tests of one question's value become one ``in`` list."""
    flat: list[dict[str, Any]] = []
    for part in parts:
        flat.extend(part["any"] if set(part) == {"any"} else [part])
    merged: list[dict[str, Any]] = []
    for part in flat:
        twin = next(
            (
                m
                for m in merged
                if set(m) == {"q", "in"} and set(part) == {"q", "in"} and m["q"] == part["q"]
            ),
            None,
        )
        if twin is None:
            merged.append({**part, "in": list(part["in"])} if "in" in part else part)
        else:
            twin["in"] += [v for v in part["in"] if v not in twin["in"]]
    return merged[0] if len(merged) == 1 else {"any": merged}


# Writing ------------------------------------------------------------------------------------

SURVEY_HEADER = [
    "type",
    "name",
    "label::nb",
    "label::en",
    "hint::nb",
    "hint::en",
    "required",
    "relevant",
    "constraint",
    "appearance",
    "parameters",
    "role",
    "weight",
    "scored",
    "allow_na",
    "min_label::nb",
    "min_label::en",
    "max_label::nb",
    "max_label::en",
]
CHOICES_HEADER = ["list_name", "name", "label::nb", "label::en", "points"]


class _ChoiceLists:
    """The choices sheet: one list per distinct set of options, shared by the questions."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.by_content: dict[tuple[Any, ...], str] = {}

    def name_for(self, question: dict[str, Any]) -> str:
        options = question.get("options") or []
        if question["type"] == QuestionType.YES_NO and not options:
            options = YES_NO_OPTIONS
        content = tuple(
            (
                str(o["value"]),
                o["label"],
                o.get("label_en", ""),
                _number_cell(o.get("points")),
                tuple(sorted(_translation_cells(o).items())),
                tuple(sorted((o.get("columns") or {}).items())),
            )
            for o in options
        )
        kind = question["type"] == QuestionType.YES_NO
        existing = self.by_content.get((kind, *content))
        if existing:
            return existing
        taken = set(self.by_content.values())
        if kind:
            name, n = YES_NO_LIST, 1
            while name in taken:
                n += 1
                name = f"{YES_NO_LIST}_{n}"
        else:
            # A list named yes_no… would read back as a yes/no question.
            key = question["key"]
            name = f"choices_{key}" if key.startswith(YES_NO_LIST) or key in taken else key
        self.by_content[(kind, *content)] = name
        for value, label, label_en, points, translations, columns in content:
            self.rows.append(
                {
                    "list_name": name,
                    "name": value,
                    "label::nb": label,
                    "label::en": label_en,
                    "points": points,
                    **dict(translations),
                    **dict(columns),
                }
            )
        return name


def _question_row(
    question: dict[str, Any], types: dict[str, str], lists: _ChoiceLists
) -> dict[str, Any]:
    qtype = question["type"]
    row: dict[str, Any] = {
        "name": question["key"],
        "label::nb": question["text"],
        "label::en": question.get("text_en", ""),
        "hint::nb": question.get("help", ""),
        "hint::en": question.get("help_en", ""),
        "required": "yes" if question.get("required", True) else "",
        "relevant": condition_to_xpath(question.get("relevant"), types),
        "role": question.get("role", ""),
        "weight": _number_cell(question.get("weight", 1)),
        "scored": "yes" if question.get("scored") else "",
        "allow_na": "yes" if question.get("allow_na") else "",
        **_translation_cells(question),
    }
    unchecked = (question.get("translations") or {}).get(UNCHECKED) or {}
    row.update(unchecked)
    if question.get("choice_filter") is not None:
        row["choice_filter"] = to_xpath(question["choice_filter"])
    if question.get("constraint") is not None:
        own = f"${{{question['key']}}}"
        row["constraint"] = condition_to_xpath(question["constraint"], types).replace(own, ".")
    hidden = (question.get("translations") or {}).get(HIDDEN)
    if hidden:
        return {**row, "required": "", "relevant": "", "type": "text", **hidden}
    labels = question.get("scale_labels") or {}
    for name, column in (
        ("min", "min_label::nb"),
        ("min_en", "min_label::en"),
        ("max", "max_label::nb"),
        ("max_en", "max_label::en"),
    ):
        row[column] = labels.get(name, "")
    if qtype in {QuestionType.SINGLE_CHOICE, QuestionType.YES_NO}:
        row["type"] = f"select_one {lists.name_for(question)}"
    elif qtype == QuestionType.MULTIPLE_CHOICE:
        row["type"] = f"select_multiple {lists.name_for(question)}"
    elif qtype == QuestionType.RATING:
        row["type"] = "range"
        row["parameters"] = f"start={question['scale'][0]} end={question['scale'][1]} step=1"
    elif qtype == QuestionType.NPS:
        row["type"] = "range"
        row["parameters"] = "start=0 end=10 step=1"
    elif qtype == QuestionType.COMPANY:
        row["type"] = f"select_one_from_file {COMPANIES_FILE}"
    elif qtype == QuestionType.CHANNEL:
        row["type"] = f"select_one_from_file {CHANNELS_FILE}"
    elif qtype == QuestionType.DURATION:
        row["type"] = "integer"
        row["appearance"] = "duration"
    else:
        row["type"] = {
            QuestionType.NUMBER: "decimal",
            QuestionType.DATETIME: "dateTime",
            QuestionType.DATE: "date",
            QuestionType.TIME: "time",
            QuestionType.NOTE: "note",
            QuestionType.TEXT: "text",
        }[qtype]
        if qtype == QuestionType.NOTE:
            row["required"] = ""
    return row


def _translation_cells(item: dict[str, Any]) -> dict[str, str]:
    """Kept texts (other languages, messages) as the ``column::language`` cells they came from."""
    return {
        f"{base}::{language}": text
        for base, texts in (item.get("translations") or {}).items()
        if base not in {HIDDEN, UNCHECKED}
        for language, text in texts.items()
    }


def _with_extra_columns(header: list[str], rows: list[dict[str, Any]]) -> list[str]:
    extra = sorted({column for row in rows for column in row if column not in header})
    return [*header, *extra]


def _xpath(condition: dict[str, Any], types: dict[str, str]) -> str:
    if "all" in condition:
        parts = []
        for part in condition["all"]:
            text = _xpath(part, types)
            parts.append(f"({text})" if _is_or(part) else text)
        return " and ".join(parts)
    if condition == {"any": []}:
        return "false()"
    if "any" in condition:
        return " or ".join(
            f"({_xpath(p, types)})" if "all" in p else _xpath(p, types) for p in condition["any"]
        )
    if "not" in condition:
        inner = condition["not"]
        multiple = types.get(inner.get("q", "")) == QuestionType.MULTIPLE_CHOICE
        if set(inner) == {"q", "in"} and len(inner["in"]) == 1 and not multiple:
            return f"${{{inner['q']}}} != {_literal(inner['in'][0], types.get(inner['q'], ''))}"
        return f"not({_xpath(inner, types)})"
    key = condition["q"]
    qtype = types.get(key, "")
    if "cmp" in condition:
        return f"${{{key}}} {condition['cmp']} {_number_cell(condition['value'])}"
    if "has" in condition:
        return f"selected(${{{key}}}, {_literal(condition['has'], qtype)})"
    values = list(condition["in"])
    if not values:
        raise DomainError(
            _("The condition on %(name)s lists no values and cannot be written as XLSForm.")
            % {"name": key}
        )
    if qtype == QuestionType.MULTIPLE_CHOICE:
        return " or ".join(f"selected(${{{key}}}, {_literal(v, qtype)})" for v in values)
    return " or ".join(f"${{{key}}} = {_literal(v, qtype)}" for v in values)


def _is_or(condition: dict[str, Any]) -> bool:
    return "any" in condition or (set(condition) == {"q", "in"} and len(condition["in"]) > 1)


def _literal(value: Any, qtype: str) -> str:
    text = str(value)
    if qtype in NUMBER_TYPES and re.fullmatch(r"\d+(\.\d+)?", text):
        return text
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise DomainError(
        _("The value %(value)s has both kinds of quotes and cannot be written as XLSForm.")
        % {"value": text}
    )


def _number_cell(value: Any) -> int | float | None:
    if value is None or value == "":
        return None
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def _write_sheet(sheet: Any, header: list[str], rows: list[dict[str, Any]]) -> None:
    sheet.append(header)
    for row in rows:
        sheet.append([_cell_value(row.get(column)) for column in header])


def _cell_value(value: Any) -> Any:
    if value is None or value == "":
        return None
    return value
