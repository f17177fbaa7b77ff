"""XLSForm ⇄ questionnaire specification (the dict ``questionnaire_create`` takes).

Pure conversion, no database: ``read_xlsform`` turns an uploaded workbook into a specification
(or rejects it, listing every problem by sheet, row and column), ``write_xlsform`` writes one out.
An exported workbook is a valid XLSForm that KoboToolbox and ODK accept; importing it again gives
the same questionnaire.

The workbook
    ``survey``   one row per question; ``begin_group``/``end_group`` rows are sections.
    ``choices``  ``list_name``, ``name`` (the code), ``label``, and our ``points``.
    ``settings`` ``form_title`` (required), ``form_id`` (the questionnaire's key; made from the
                 title when empty), ``version`` (ignored: importing a known key makes a new
                 version), ``default_language`` (ignored); our ``form_title_en`` (the English
                 title: pyxform cannot take ``form_title::en``), ``kind`` (survey, evaluation,
                 poll) and ``intro``. Other settings columns are ignored.

Languages: text columns take ``::nb`` and ``::en`` (or ODK's ``::Norsk (nb)``,
``::English (en)``); a column without a language is bokmål. Other languages are refused.

Types
    ``select_one L``, ``select_multiple L``        single and multiple choice from list L
    ``select_one yes_no``                          yes/no: a list named ``yes_no`` (or
                                                   ``yes_no_…``) with exactly the codes yes and no
    ``range`` with ``parameters`` start=1 end=5|6|7|10   a rating scale; start=0 end=10 is NPS
    ``decimal`` or ``integer``                     a number; ``integer`` with ``appearance``
                                                   ``duration`` is a duration in minutes
    ``text``, ``dateTime``                         free text, date and time
    ``select_one_from_file companies.csv``         the company picker (our catalog)
    ``select_one_from_file channels.csv``          the channel picker
    ``start``, ``end``, ``today``, ``deviceid`` …  metadata rows are skipped
Questions outside any group form a section of their own, titled like the form.

Columns of our own (XLSForm tools ignore them)
    ``role``       what the question measures (company, channel, resolved, nps, …)
    ``weight``     of a question, or of a section on its ``begin_group`` row (default 1)
    ``scored``     yes: counts towards the score (every choice then needs ``points``)
    ``allow_na``   yes: the respondent may answer "not applicable"
    ``min_label``, ``max_label``   the words at the ends of a rating scale
``required`` and the booleans read yes/no, true/false, 1/0 (blank is no, as in XLSForm). ``hint``
is a question's help text, or a section's description on its ``begin_group`` row.
``appearance``, ``required_message`` and ``$``-columns (KoboToolbox's ``$kuid``…) are ignored.

``relevant`` (branching), for questions and groups, refers only to earlier questions:
    ``${q} = 'x'``, ``${q} != 'x'``, ``selected(${q}, 'x')``, ``not(…)``, ``and``, ``or``,
    parentheses, and ``<``, ``<=``, ``>``, ``>=`` on rating and NPS questions.

Refused, with a message naming the row: repeats, notes, calculations, other types, ``or_other``,
constraints, defaults, ``choice_filter`` (cascading selects), other functions, arithmetic,
references to later or unknown questions, duplicate names, missing lists, empty labels, points
that are not numbers.
"""

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.text import slugify
from django.utils.translation import gettext as _

from kundeservice.errors import DomainError, ImportRejected, RowError
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
}
NUMBER_TYPES = {"rating", "nps", "number", "duration"}
CHOICE_TYPES = {"single_choice", "multiple_choice", "yes_no", "company", "channel"}
TRANSLATABLE = {"label", "hint", "min_label", "max_label", "form_title", "intro"}
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
}
QUESTION_ONLY_COLUMNS = [
    "required",
    "parameters",
    "role",
    "scored",
    "allow_na",
    "min_label::nb",
    "min_label::en",
    "max_label::nb",
    "max_label::en",
]
CHOICES_COLUMNS = {"list_name", "name", "label::nb", "label::en", "points"}
IGNORED_COLUMNS = {"appearance", "required_message", "guidance_hint"}
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
    """The specification read from a workbook, and where each part came from (for messages)."""

    spec: dict[str, Any]
    question_rows: dict[str, int] = field(default_factory=dict)
    section_rows: dict[str, int] = field(default_factory=dict)


def read_xlsform(*, file: IO[bytes], filename: str = "") -> ParsedForm:
    """Read an XLSForm workbook into a questionnaire specification.

    Raises ``DomainError`` when the file is not a usable workbook, and ``ImportRejected`` listing
    every bad row (``SheetRowError``) otherwise.
    """
    sheets = _load_sheets(file=file, filename=filename)
    reader = _FormReader(sheets)
    parsed = reader.read()
    reject_if_errors(reader.errors)
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
            }
        )
        for question in section["questions"]:
            survey_rows.append(_question_row(question, types, lists))
        survey_rows.append({"type": "end_group"})

    workbook = Workbook()
    survey = workbook.active
    assert survey is not None  # a new workbook has one sheet
    survey.title = SURVEY
    _write_sheet(survey, SURVEY_HEADER, survey_rows)
    _write_sheet(workbook.create_sheet(CHOICES), CHOICES_HEADER, lists.rows)
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


def _load_sheets(*, file: IO[bytes], filename: str) -> dict[str, _Sheet]:
    from openpyxl import load_workbook

    lower = filename.lower()
    if lower.endswith(".xls"):
        raise DomainError(
            _("%(name)s is an old Excel 97–2003 workbook: save it as .xlsx and upload it again.")
            % {"name": filename},
            code="file_type",
        )
    if lower and not lower.endswith(".xlsx"):
        raise DomainError(
            _("Unsupported file type %(name)s: an XLSForm is an Excel workbook (.xlsx).")
            % {"name": filename},
            code="file_type",
        )
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DomainError(
            _("The file is larger than %(mb)d MB; an XLSForm is much smaller.")
            % {"mb": MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    unreadable = DomainError(
        _("The file is not a readable Excel workbook (.xlsx)."), code="not_xlsx"
    )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a corrupt or foreign file
        raise unreadable from None
    sheets: dict[str, _Sheet] = {}
    try:
        for worksheet in workbook.worksheets:
            name = worksheet.title.strip().lower()
            if name in {SURVEY, CHOICES, SETTINGS}:
                sheets[name] = _read_sheet(name, worksheet.iter_rows(values_only=True))
    except DomainError:
        raise
    except Exception:  # a damaged sheet inside a valid zip
        raise unreadable from None
    finally:
        workbook.close()
    return sheets


def _read_sheet(name: str, raw_rows: Iterator[tuple[Any, ...]]) -> _Sheet:
    sheet = _Sheet(name=name, columns=[], headers={}, rows=[])
    header = next(raw_rows, None)
    if header is None:
        return sheet
    for cell in header:
        written = _cell_text(cell)
        canonical, problem = _canonical_column(written)
        if problem:
            sheet.header_errors.append((written, problem))
        elif canonical and canonical in sheet.headers:
            sheet.header_errors.append(
                (written, _("The column %(column)s appears twice.") % {"column": written})
            )
        elif canonical:
            sheet.headers[canonical] = written
        sheet.columns.append(canonical if canonical and not problem else "")
    for number, raw in enumerate(raw_rows, start=2):
        cells = {
            column: _cell_text(value)
            for column, value in zip(sheet.columns, raw, strict=False)
            if column
        }
        if any(cells.values()):
            sheet.rows.append(_Row(number=number, cells=cells))
            if len(sheet.rows) > MAX_ROWS:
                raise DomainError(
                    _("The %(sheet)s sheet has more than %(max)d rows.")
                    % {"sheet": name, "max": MAX_ROWS},
                    code="too_many_rows",
                )
    return sheet


def _canonical_column(header: str) -> tuple[str, str]:
    """The column's name as this module uses it (``label::nb``), or a problem with it."""
    text = header.strip()
    if not text:
        return "", ""
    base, sep, language = (part.strip() for part in text.partition("::"))
    base = base.lower().replace(" ", "_")
    if base not in TRANSLATABLE:
        return text.lower() if sep else base, ""
    if not sep:
        return f"{base}::nb", ""
    code = re.search(r"\(([^)]*)\)\s*$", language)
    key = (code.group(1) if code else language).strip().lower()
    if key not in LANGUAGES:
        return "", _("The language of the column %(column)s is not supported: use nb or en.") % {
            "column": header
        }
    return f"{base}::{LANGUAGES[key]}", ""


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

    def __init__(self, sheets: dict[str, _Sheet]) -> None:
        self.sheets = sheets
        self.errors: list[SheetRowError] = []
        self.parsed = ParsedForm(spec={})
        self.lists: dict[str, list[dict[str, Any]]] = {}
        self.earlier: dict[str, _QuestionContext] = {}

    def read(self) -> ParsedForm:
        survey = self.sheets.get(SURVEY)
        if survey is None:
            raise DomainError(
                _(
                    "The workbook has no sheet named survey. An XLSForm has the sheets survey, "
                    "choices and settings."
                ),
                code="no_survey",
            )
        if not survey.rows:
            raise DomainError(_("The survey sheet is empty."), code="empty_survey")
        settings = self.sheets.get(SETTINGS)
        if settings is None:
            raise DomainError(
                _("The workbook has no settings sheet: add one with form_title and form_id."),
                code="no_settings",
            )
        for sheet in self.sheets.values():
            for header, message in sheet.header_errors:
                self._error(sheet.name, 1, header, message)
        for column in ("type", "name"):
            if column not in survey.headers:
                self._error(
                    SURVEY,
                    1,
                    column,
                    _("The survey sheet needs a %(column)s column.") % {"column": column},
                )
        if self.errors:
            return self.parsed
        self.parsed.spec = self._settings(settings)
        self._choices()
        self.parsed.spec["sections"] = self._survey(survey)
        return self.parsed

    def _error(self, sheet: str, row: int, column: str, message: str) -> None:
        self.errors.append(SheetRowError(row=row, column=column, message=message, sheet=sheet))

    # settings

    def _settings(self, sheet: _Sheet) -> dict[str, Any]:
        row = sheet.rows[0] if sheet.rows else _Row(number=2, cells={})
        title = row.get("form_title::nb")
        if not title:
            self._error(
                SETTINGS, row.number, "form_title", _("The form needs a title (form_title).")
            )
        slug = row.get("form_id") or row.get("id_string")
        if not slug:
            slug = slugify(title)[:80]
        elif len(slug) > 80 or not re.fullmatch(r"[A-Za-z0-9_-]+", slug):
            self._error(
                SETTINGS,
                row.number,
                sheet.header("form_id"),
                _("form_id may have only letters a–z, digits, - and _, at most 80 of them."),
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
        self._unsupported_columns(sheet, CHOICES_COLUMNS | {"value"})
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
            elif any(o["value"] == code for o in options):
                self._error(
                    *where,
                    sheet.header("name"),
                    _("The list %(list)s has the choice %(name)s twice.")
                    % {"list": list_name, "name": code},
                )
            if not row.get("label::nb"):
                self._error(*where, sheet.header("label::nb"), _("The choice has an empty label."))
            points = self._decimal(sheet, row, "points")
            options.append(
                {
                    "value": code,
                    "label": row.get("label::nb"),
                    "label_en": row.get("label::en"),
                    "points": points,
                }
            )

    # survey

    def _survey(self, sheet: _Sheet) -> list[dict[str, Any]]:
        names = {
            row.get("name")
            for row in sheet.rows
            if not re.match(r"\s*(begin|end)[\s_]+group", row.get("type").lower())
        }
        sections: list[dict[str, Any]] = []
        group: dict[str, Any] | None = None
        loose: dict[str, Any] | None = None  # the section of questions outside any group
        for row in sheet.rows:
            kind = " ".join(row.get("type").split()).lower().replace(" ", "_")
            if not kind:
                self._error(SURVEY, row.number, "type", _("The row has no type."))
                continue
            if kind == "begin_group":
                if group is not None:
                    self._error(
                        SURVEY,
                        row.number,
                        "type",
                        _(
                            "Groups inside groups are not supported; end the group on row %(row)d "
                            "first."
                        )
                        % {"row": self.parsed.section_rows.get(group["key"], 0)},
                    )
                    continue
                group = self._section(sheet, row, names)
                sections.append(group)
                loose = None
            elif kind == "end_group":
                if group is None:
                    self._error(
                        SURVEY, row.number, "type", _("end_group without a begin_group before it.")
                    )
                else:
                    self._check_group_has_questions(group)
                group = None
            elif kind in METADATA_TYPES or kind == "end_repeat":
                continue  # metadata is filled in by the app; begin_repeat has its message
            else:
                question = self._question(sheet, row, kind, names)
                if question is None:
                    continue
                if group is None and loose is None:
                    loose = self._loose_section(sections, sheet)
                    sections.append(loose)
                (group or loose or {}).setdefault("questions", []).append(question)
        if group is not None:
            self._error(
                SURVEY,
                self.parsed.section_rows.get(group["key"], 1),
                "type",
                _("The group %(name)s has no end_group.") % {"name": group["key"]},
            )
            self._check_group_has_questions(group)
        bad_types = {e.row for e in self.errors if e.sheet == SURVEY and e.column == "type"}
        self._unsupported_columns(sheet, SURVEY_COLUMNS, skip=bad_types)
        if not sections and not self.errors:
            raise DomainError(_("The survey sheet has no questions."), code="no_questions")
        return sections

    def _section(self, sheet: _Sheet, row: _Row, names: set[str]) -> dict[str, Any]:
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
        if not row.get("label::nb"):
            self._error(*where, sheet.header("label::nb"), _("The group has an empty label."))
        for column in QUESTION_ONLY_COLUMNS:
            if row.get(column):
                self._error(
                    *where,
                    sheet.header(column),
                    _("%(column)s does not apply to a group.") % {"column": sheet.header(column)},
                )
        return {
            "key": key,
            "title": row.get("label::nb"),
            "title_en": row.get("label::en"),
            "description": row.get("hint::nb"),
            "description_en": row.get("hint::en"),
            "weight": self._decimal(sheet, row, "weight", default=Decimal(1)),
            "relevant": self._relevant(row, names),
            "questions": [],
        }

    def _loose_section(self, sections: list[dict[str, Any]], sheet: _Sheet) -> dict[str, Any]:
        taken = {row.get("name") for row in sheet.rows} | set(self.parsed.section_rows)
        key = f"section_{len(sections) + 1}"
        while key in taken:
            key += "_"
        self.parsed.section_rows[key] = 0
        title = self.parsed.spec.get("title", "")
        return {"key": key, "title": title, "title_en": self.parsed.spec.get("title_en", "")}

    def _check_group_has_questions(self, group: dict[str, Any]) -> None:
        if not group["questions"] and group["key"] in self.parsed.section_rows:
            self._error(
                SURVEY,
                self.parsed.section_rows[group["key"]],
                "type",
                _("The group %(name)s has no questions.") % {"name": group["key"]},
            )

    def _question(
        self, sheet: _Sheet, row: _Row, kind: str, names: set[str]
    ) -> dict[str, Any] | None:
        where = (SURVEY, row.number)
        key = row.get("name")
        question: dict[str, Any] = {"key": key}
        if not self._question_type(row, kind, question):
            return None  # the type's message says it all
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
        text = row.get("label::nb")
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
            required=self._boolean(sheet, row, "required"),
            allow_na=self._boolean(sheet, row, "allow_na"),
            scored=self._boolean(sheet, row, "scored"),
            weight=self._decimal(sheet, row, "weight", default=Decimal(1)),
            relevant=self._relevant(row, names),
        )
        if labels:
            question["scale_labels"] = labels
        if key_ok:
            self.parsed.question_rows[key] = row.number
            options = question.get("options")
            values = None
            if question["type"] == QuestionType.CHANNEL:
                values = set(Channel.values)
            elif options is not None:
                values = {o["value"] for o in options}
            scale = question.get("scale") or ([0, 10] if question["type"] == "nps" else None)
            self.earlier[key] = _QuestionContext(
                type=question["type"], values=values, scale=(scale[0], scale[1]) if scale else None
            )
        return question

    def _question_type(self, row: _Row, kind: str, question: dict[str, Any]) -> bool:
        """Set the question's type (and options or scale) from the type column."""
        where = (SURVEY, row.number, "type")
        words = kind.split("_")
        parts = row.get("type").split()
        if kind == "begin_repeat":
            self._error(*where, _("Repeated groups (begin_repeat) are not supported."))
            return False
        if kind == "note":
            self._error(
                *where,
                _("Notes are not supported: put the text in the hint of a group or question."),
            )
            return False
        if kind == "calculate":
            self._error(*where, _("Calculations (calculate) are not supported."))
            return False
        if kind in {"date", "time"}:
            self._error(
                *where, _("The type %(type)s is not supported; use dateTime.") % {"type": kind}
            )
            return False
        if parts and parts[0].lower() in {"select_one", "select_multiple"} and len(parts) >= 2:
            if len(parts) > 2 and parts[-1].lower() == "or_other":
                self._error(
                    *where,
                    _(
                        "or_other is not supported: add an “other” choice and a text question "
                        "shown when it is selected."
                    ),
                )
                return False
            if len(parts) != 2:
                return self._unknown_type(row)
            return self._select(row, parts[0].lower(), parts[1], question)
        if parts and parts[0].lower() == "select_one_from_file" and len(parts) == 2:
            source = parts[1].lower()
            if source == COMPANIES_FILE:
                question["type"] = QuestionType.COMPANY
            elif source == CHANNELS_FILE:
                question["type"] = QuestionType.CHANNEL
            else:
                self._error(
                    *where,
                    _("select_one_from_file works only with %(companies)s and %(channels)s.")
                    % {"companies": COMPANIES_FILE, "channels": CHANNELS_FILE},
                )
                return False
            return True
        if kind == "range":
            return self._range(row, question)
        if row.get("parameters"):
            self._error(
                SURVEY,
                row.number,
                "parameters",
                _("parameters are supported only on range questions."),
            )
        simple = {
            "text": QuestionType.TEXT,
            "decimal": QuestionType.NUMBER,
            "integer": QuestionType.NUMBER,
            "datetime": QuestionType.DATETIME,
        }
        if kind in simple and len(words) == 1:
            question["type"] = simple[kind]
            if kind == "integer" and "duration" in row.get("appearance").lower().split():
                question["type"] = QuestionType.DURATION
            return True
        return self._unknown_type(row)

    def _unknown_type(self, row: _Row) -> bool:
        self._error(
            SURVEY,
            row.number,
            "type",
            _(
                "The type “%(type)s” is not supported. Use select_one, select_multiple, range, "
                "integer, decimal, text, dateTime, select_one_from_file or begin_group."
            )
            % {"type": row.get("type")},
        )
        return False

    def _select(self, row: _Row, select: str, list_name: str, question: dict[str, Any]) -> bool:
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
        if is_yes_no:
            question["type"] = QuestionType.YES_NO
        elif select == "select_one":
            question["type"] = QuestionType.SINGLE_CHOICE
        else:
            question["type"] = QuestionType.MULTIPLE_CHOICE
        question["options"] = options
        return True

    def _range(self, row: _Row, question: dict[str, Any]) -> bool:
        params: dict[str, str] = {}
        for pair in re.split(r"[\s,;]+", row.get("parameters").strip()):
            name, _sep, value = pair.partition("=")
            if name:
                params[name.strip().lower()] = value.strip()
        try:
            start = int(params.get("start", "0"))
            end = int(params.get("end", "10"))
            step = int(params.get("step", "1"))
        except ValueError:
            start, end, step = -1, -1, 0
        if step == 1 and (start, end) == (0, 10):
            question["type"] = QuestionType.NPS
            return True
        if step == 1 and (start, end) in RATING_SCALES:
            question["type"] = QuestionType.RATING
            question["scale"] = [start, end]
            return True
        self._error(
            SURVEY,
            row.number,
            "parameters",
            _(
                "A range is a rating scale (start=1 with end=5, 6, 7 or 10) or NPS (start=0 "
                "end=10), with step=1."
            ),
        )
        return False

    def _relevant(self, row: _Row, names: set[str]) -> dict[str, Any] | None:
        expression = row.get("relevant")
        if not expression:
            return None
        try:
            return _XPathParser(expression, self.earlier, names).parse()
        except _XPathError as exc:
            self._error(SURVEY, row.number, "relevant", str(exc))
            return None

    # cells

    def _unsupported_columns(
        self, sheet: _Sheet, supported: set[str], skip: set[int] | frozenset[int] = frozenset()
    ) -> None:
        specific = {
            "constraint": _("Constraints are not supported."),
            "constraint_message": _("Constraints are not supported."),
            "calculation": _("Calculations are not supported."),
            "choice_filter": _("Cascading selects (choice_filter) are not supported."),
            "repeat_count": _("Repeated groups are not supported."),
            "default": _("Default answers are not supported."),
            "read_only": _("Read-only questions are not supported."),
            "trigger": _("Triggers are not supported."),
        }
        for column in sheet.columns:
            if not column or column in supported or column in IGNORED_COLUMNS:
                continue
            if column.startswith("$"):  # KoboToolbox's own bookkeeping ($kuid, $autoname…)
                continue
            for row in sheet.rows:
                if row.get(column) and row.number not in skip:
                    self._error(
                        sheet.name,
                        row.number,
                        sheet.header(column),
                        specific.get(
                            column,
                            _("The column %(column)s is not supported; leave it empty.")
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


@dataclass
class _Token:
    kind: str
    text: str


class _XPathParser:
    """Recursive descent over the small part of XPath that maps onto our conditions."""

    def __init__(
        self, expression: str, earlier: dict[str, _QuestionContext], names: set[str]
    ) -> None:
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
            if kind == "path":
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
            (str(o["value"]), o["label"], o.get("label_en", ""), _number_cell(o.get("points")))
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
        for value, label, label_en, points in content:
            self.rows.append(
                {
                    "list_name": name,
                    "name": value,
                    "label::nb": label,
                    "label::en": label_en,
                    "points": points,
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
    }
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
            QuestionType.TEXT: "text",
        }[qtype]
    return row


def _xpath(condition: dict[str, Any], types: dict[str, str]) -> str:
    if "all" in condition:
        parts = []
        for part in condition["all"]:
            text = _xpath(part, types)
            parts.append(f"({text})" if _is_or(part) else text)
        return " and ".join(parts)
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
