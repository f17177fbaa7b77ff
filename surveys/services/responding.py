"""The respondent's path through a questionnaire: open a link, save pages, submit once.

Drafts live in ``Response.draft`` (one UPDATE per autosave). Answers to questions that branching
hides are dropped on every save, so they are never stored. Submitting locks the response row:
double clicks, retries and parallel tabs all end with one set of answers.
"""

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from kundeservice.errors import DomainError
from surveys.answers import (
    MAX_TEXT,
    AnswerError,
    check_constraint,
    check_required,
    clean,
    form_values,
    score_0_100,
)
from surveys.branching import NA
from surveys.evaluation import required_sections, screening_page, shown_only, through_screening
from surveys.models import (
    Answer,
    Invitation,
    InvitationStatus,
    QuestionRole,
    Response,
    ResponseSource,
    ResponseStatus,
    SubmissionInbox,
    SubmissionStatus,
    WaveStatus,
)
from surveys.selectors import QuestionView, SectionView, Structure, invitation_for_token_hash
from surveys.webhook_events import RESPONSE_SAVED
from webhooks.services.events import webhook_event_emit

MAX_RAW = MAX_TEXT


class LinkProblem(DomainError):
    """An invitation link that cannot be answered; ``reason`` picks the page the respondent sees."""

    def __init__(self, message: str, *, reason: str, response: Response | None = None) -> None:
        super().__init__(message, code=reason)
        self.reason = reason
        self.response = response


class IncompleteResponse(DomainError):
    """Submit refused: questions still need answers. ``page`` is the first page with an error."""

    def __init__(self, errors: dict[str, str], page: int) -> None:
        super().__init__(_("Some questions still need an answer."), code="incomplete")
        self.errors = errors
        self.page = page


@dataclass
class PageState:
    response: Response
    sections: list[SectionView]
    index: int
    errors: dict[str, str] = field(default_factory=dict)
    questions: list[QuestionView] = field(default_factory=list)
    #: What the respondent typed where it was refused, shown back beside its error.
    raw: dict[str, str] = field(default_factory=dict)
    #: The saved answers with the values calculated from them (for piping and choice filters).
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def section(self) -> SectionView | None:
        return self.sections[self.index] if self.index < len(self.sections) else None

    @property
    def is_review(self) -> bool:
        return self.section is None

    @property
    def progress_percent(self) -> int:
        return round(100 * self.index / max(len(self.sections), 1))

    @property
    def page_number(self) -> int:
        return min(self.index + 1, len(self.sections))


def token_for(*, wave_id: int, panelist_id: int) -> str:
    """The invitation token: derived with the site's secret, so the database holds only its hash
    and a reminder can carry the same link."""
    return salted_hmac("kundeservice.invitation", f"{wave_id}:{panelist_id}").hexdigest()[:40]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def response_for_token(*, token: str, create: bool = True) -> Response:
    """The draft (or finished) response behind an invitation link, created on first open.

    With ``create=False`` (a GET, which mail link scanners also make) a link never answered gets
    an unsaved response, and the invitation is not marked opened: only an answer does that."""
    invitation = invitation_for_token_hash(token_hash(token))
    if invitation is None:
        raise LinkProblem(_("This link is not valid."), reason="unknown")
    existing: Response | None = getattr(invitation, "response", None)
    if existing is not None and existing.is_final:
        raise LinkProblem(
            _("This survey has already been answered."), reason="used", response=existing
        )
    submitted: SubmissionInbox | None = getattr(invitation, "submission", None)
    if submitted is not None and submitted.status == SubmissionStatus.PENDING:
        # Answered through the API and waiting to be saved: those answers are the response,
        # so the browser must not take new ones that the saving would throw away.
        raise LinkProblem(_("This survey has already been answered."), reason="used")
    now = timezone.now()
    if invitation.expires_at < now or invitation.wave.status != WaveStatus.OPEN:
        raise LinkProblem(_("This survey is closed."), reason="expired")
    if existing is not None:
        existing.wave = invitation.wave
        existing.invitation = invitation
        return existing
    if not create:
        return Response(
            wave=invitation.wave,
            source=ResponseSource.PANEL,
            invitation=invitation,
            language=invitation.panelist.language or "nb",
        )
    try:
        with transaction.atomic():  # one commit for the first open, not two
            response = Response.objects.create(
                wave=invitation.wave,
                source=ResponseSource.PANEL,
                invitation=invitation,
                language=invitation.panelist.language or "nb",
            )
            Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
                opened_at=now, status=InvitationStatus.OPENED
            )
    except IntegrityError:  # another tab created it (and marked the invitation opened) just now
        response = Response.objects.get(invitation=invitation)
    response.invitation = invitation
    return response


def page_state(
    *, response: Response, structure: Structure, errors: dict[str, str] | None = None
) -> PageState:
    sections = structure.visible_sections(response.draft)
    index = min(response.page, len(sections))
    state = PageState(
        response=response,
        sections=sections,
        index=index,
        errors=errors or {},
        answers=structure.with_calculated(response.draft),
    )
    if state.section is not None:
        state.questions = structure.visible_questions(state.section, response.draft)
    return state


def page_save(
    *,
    response: Response,
    structure: Structure,
    data: dict[str, list[str]],
    direction: str,
    page: int | None = None,
) -> PageState:
    """Store the answers on the current page. ``direction`` is ``next`` (validate, then move on),
    ``back`` or ``stay`` (autosave: keep what is valid, move nowhere).

    The row is locked and re-read first: an autosave that arrives just after "next" (its timer
    fired as the page was leaving) must not put the respondent back on the page they left.
    ``page`` is the page the answers were given on: when the response has moved on since (a
    beacon sent as the page was left, another tab), nothing is stored, so a stale post never
    blanks the answers of the page the respondent is on now.

    The common case takes no lock: the response as this request read it (``response``, with its
    ``updated_at``) is saved with one UPDATE that holds only while the row is still as read
    (compare-and-set on ``updated_at`` and ``status``), a statement where the lock took four.
    When anything changed the row since (the late autosave above, another tab), it is done
    again under the lock, from the row as it is now."""
    read_at = response.updated_at
    if read_at is not None and not response._state.adding:
        if page is not None and page != response.page:
            return page_state(response=response, structure=structure)
        state = _page_save_locked(response, structure, data, direction, unchanged_since=read_at)
        if state is not None:
            return state
    with transaction.atomic():
        locked = (
            Response.objects.select_for_update(of=("self",))
            .only("status", "draft", "page", "updated_at")
            .get(pk=response.pk)
        )
        response.status, response.draft, response.page = locked.status, locked.draft, locked.page
        response.updated_at = locked.updated_at
        if page is not None and page != response.page:
            return page_state(response=response, structure=structure)
        state = _page_save_locked(response, structure, data, direction)
        assert state is not None  # only a compare-and-set returns None
        return state


def page_go_to(*, response: Response, structure: Structure, page: int) -> PageState:
    """Go back to an earlier page to change an answer there (the "ready to submit" page's change
    links). Pages not reached yet cannot be jumped to."""
    with transaction.atomic():
        locked = (
            Response.objects.select_for_update(of=("self",))
            .only("status", "draft", "page")
            .get(pk=response.pk)
        )
        response.status, response.draft, response.page = locked.status, locked.draft, locked.page
        if not response.is_final and 0 <= page < response.page:
            response.page = page
            response.save(update_fields=["page", "updated_at"])
        return page_state(response=response, structure=structure)


def page_preview(
    *, response: Response, structure: Structure, data: dict[str, list[str]], action: str
) -> PageState:
    """What ``page_save`` (or ``response_submit`` for ``action="submit"``) would do, on a response
    that is never stored: the builder's preview. Only ``draft``, ``page`` and ``status`` change,
    in memory."""
    if action != "submit":
        state = _page_save_locked(response, structure, data, action, store=False)
        assert state is not None  # only a compare-and-set returns None
        return state
    answers = shown_only(structure, dict(response.draft))
    errors, first_page = _missing_answers(structure, answers)
    if errors:
        response.page = first_page
        return page_state(response=response, structure=structure, errors=errors)
    response.draft = answers
    response.status = (
        ResponseStatus.SCREENED_OUT
        if _screened_out(structure, answers)
        else ResponseStatus.SUBMITTED
    )
    return page_state(response=response, structure=structure)


def _page_save_locked(
    response: Response,
    structure: Structure,
    data: dict[str, list[str]],
    direction: str,
    *,
    store: bool = True,
    unchanged_since: datetime | None = None,
) -> PageState | None:
    """Save the page's answers on ``response`` (locked by the caller, or, with
    ``unchanged_since``, only if the row's ``updated_at`` is still that: None when it is not,
    and nothing is written)."""
    if response.is_final:
        return page_state(response=response, structure=structure)
    state = page_state(response=response, structure=structure)
    answers = dict(response.draft)
    errors: dict[str, str] = {}
    raw: dict[str, str] = {}
    if state.section is not None:
        for view in state.section.questions:
            try:
                value = clean(view.info, form_values(view.info, data))
            except AnswerError as exc:
                # Refused input is kept where the respondent sees it, beside its error, and
                # the last valid answer stays in the draft until a valid one replaces it.
                errors[view.key] = str(exc)
                raw[view.key] = " ".join(data.get(view.key, []))[:MAX_RAW]
                continue
            if value is None:
                answers.pop(view.key, None)
            else:
                answers[view.key] = value
        with_calculated = structure.with_calculated(answers)
        for view in state.section.questions:
            try:
                check_constraint(view.info, answers.get(view.key), with_calculated)
            except AnswerError as exc:
                # As with input that does not parse: what was typed stays beside its error,
                # and the last valid answer stays in the draft.
                errors.setdefault(view.key, str(exc))
                if view.key in data:
                    raw.setdefault(view.key, " ".join(data.get(view.key, []))[:MAX_RAW])
                previous = response.draft.get(view.key)
                if previous is None:
                    answers.pop(view.key, None)
                else:
                    answers[view.key] = previous
    answers = shown_only(structure, answers)
    if direction == "next" and state.section is not None:
        for view in structure.visible_questions(state.section, answers):
            if view.key not in errors:
                try:
                    check_required(view.info, answers.get(view.key))
                except AnswerError as exc:
                    errors[view.key] = str(exc)
    response.draft = answers
    fields = ["draft", "updated_at"] if direction == "stay" else ["draft", "page", "updated_at"]
    if direction == "next" and not errors:
        if _screened_out(structure, answers):
            if unchanged_since is not None:
                return None  # finishing writes answers and the invitation: under the lock
            if store:
                _finish_screened_out(response, structure)
            else:
                response.status = ResponseStatus.SCREENED_OUT
            return page_state(response=response, structure=structure)
        response.page = state.index + 1
    elif direction == "back":
        response.page = max(state.index - 1, 0)
    if store:
        if response.invitation_id and response.invitation and not response.invitation.started_at:
            now = timezone.now()
            Invitation.objects.filter(pk=response.invitation_id, started_at__isnull=True).update(
                started_at=now,
                opened_at=Coalesce("opened_at", Value(now)),
                status=InvitationStatus.STARTED,
            )
            response.invitation.started_at = now
        if unchanged_since is None:
            response.save(update_fields=fields)
        elif not _save_if_unchanged(response, fields, unchanged_since):
            return None
    state = page_state(response=response, structure=structure, errors=errors)
    state.raw = raw
    return state


def _save_if_unchanged(response: Response, fields: list[str], unchanged_since: datetime) -> bool:
    """Write ``fields`` of ``response`` in one UPDATE, only if the row was last written at
    ``unchanged_since`` and its status is still the one read; whether it was written."""
    response.updated_at = timezone.now()
    concrete = _response_fields()
    columns = [concrete[name] for name in fields]
    params = [f.get_db_prep_save(getattr(response, f.attname), connection) for f in columns]
    params += [
        response.pk,
        concrete["updated_at"].get_db_prep_value(unchanged_since, connection),
        response.status,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_compare_and_set_statement(tuple(f.column for f in columns)), params)
        return cursor.rowcount == 1


@functools.cache
def _response_fields() -> dict[str, Any]:
    return {f.name: f for f in Response._meta.concrete_fields}


@functools.cache
def _compare_and_set_statement(columns: tuple[str, ...]) -> str:
    """``_save_if_unchanged``'s UPDATE of ``columns``, built once per set of columns (a page
    save writes the same few every time; compiling the ORM's UPDATE was a fifth of an
    autosave)."""
    quote = connection.ops.quote_name
    concrete = _response_fields()
    assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
    pk, updated_at, status = (
        quote(concrete[name].column) for name in ("id", "updated_at", "status")
    )
    # Only names from the model's metadata go into the text; every value is a parameter.
    return (
        f"UPDATE {quote(Response._meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {pk} = %s AND {updated_at} = %s AND {status} = %s"
    )


def response_submit(
    *, response_id: int, structure: Structure, answers: dict[str, Any] | None = None
) -> Response:
    """Validate the whole draft and store it as answers, once. Safe to call again: a response
    that is already final is returned as it is. ``answers`` (cleaned values) replace the draft
    first, in the same transaction: when they are incomplete, nothing is stored."""
    with transaction.atomic():
        response = _locked_response(response_id)
        if response.is_final:
            return response
        if answers is not None:
            response.draft = answers
            response.page = len(structure.sections)
        answers = shown_only(structure, dict(response.draft))
        errors, first_page = _missing_answers(structure, answers)
        if errors:
            raise IncompleteResponse(errors, first_page)
        if _screened_out(structure, answers):
            return _finish_screened_out(response, structure)
        now = timezone.now()
        rows = response_as_submitted(
            response=response, structure=structure, answers=answers, now=now
        )
        Answer.objects.bulk_create(rows, batch_size=500)
        response.save()
        if response.invitation_id:
            Invitation.objects.filter(pk=response.invitation_id).update(
                status=InvitationStatus.COMPLETED, completed_at=now
            )
        webhook_event_emit(event=RESPONSE_SAVED, subject=response)
    return response


def response_as_submitted(
    *, response: Response, structure: Structure, answers: dict[str, Any], now: datetime
) -> list[Answer]:
    """Set on ``response``, in memory, what submitting sets, and return its answer rows; the
    caller saves both (``response_submit`` one at a time). ``answers`` are cleaned, shown only
    and complete. A screened-out respondent gets that status and no answer rows."""
    return [
        Answer(
            response=response, wave_id=response.wave_id, **dict(zip(ANSWER_COLUMNS, v, strict=True))
        )
        for v in response_submitted_values(
            response=response, structure=structure, answers=answers, now=now
        )
    ]


def response_submitted_values(
    *, response: Response, structure: Structure, answers: dict[str, Any], now: datetime
) -> list[tuple[Any, ...]]:
    """``response_as_submitted`` without model instances: its answer rows as tuples of
    ``ANSWER_COLUMNS``, for the API's expansion, which writes many responses' rows with one
    COPY."""
    response.submitted_at = now
    if _screened_out(structure, answers):
        response.draft = through_screening(structure, answers)
        response.status = ResponseStatus.SCREENED_OUT
        return []
    response.draft = answers
    company, channel = _company_and_channel(structure, answers)
    rows = [
        answer_values(view, answers[view.key], company, channel)
        for section in structure.visible_sections(answers)
        for view in structure.visible_questions(section, answers)
        if view.key in answers
    ]
    response.status = ResponseStatus.SUBMITTED
    response.company_id = company
    response.channel = channel
    _copy_weighting_cell(response)
    return rows


def _locked_response(response_id: int) -> Response:
    """The response row, locked until the transaction ends: parallel submits queue here and all
    but the first find it final."""
    return (
        Response.objects.select_for_update(of=("self",))
        .select_related("invitation__panelist", "wave")
        .get(pk=response_id)
    )


def age_group(birth_year: int | None, *, on: date) -> str:
    """The age bands weighting uses (18–29, 30–44, 45–59, 60+), counted on ``on``: always the
    wave's ``reference_date``, so sampling and weighting put a panelist in the same cell."""
    if not birth_year:
        return ""
    age = on.year - birth_year
    if age < 30:
        return "18-29"
    if age < 45:
        return "30-44"
    if age < 60:
        return "45-59"
    return "60+"


def _missing_answers(structure: Structure, answers: dict[str, Any]) -> tuple[dict[str, str], int]:
    errors: dict[str, str] = {}
    first_page = -1
    for index, section in enumerate(required_sections(structure, answers)):
        for view in structure.visible_questions(section, answers):
            try:
                check_required(view.info, answers.get(view.key))
            except AnswerError as exc:
                errors[view.key] = str(exc)
                if first_page < 0:
                    first_page = index
    return errors, max(first_page, 0)


def _screened_out(structure: Structure, answers: dict[str, Any]) -> bool:
    return screening_page(structure, answers) is not None


def _finish_screened_out(response: Response, structure: Structure) -> Response:
    now = timezone.now()
    response.status = ResponseStatus.SCREENED_OUT
    response.submitted_at = now
    response.draft = through_screening(structure, shown_only(structure, response.draft))
    response.save(update_fields=["status", "submitted_at", "draft", "updated_at"])
    if response.invitation_id:
        Invitation.objects.filter(pk=response.invitation_id).update(
            status=InvitationStatus.SCREENED_OUT, completed_at=now
        )
    return response


def _company_and_channel(structure: Structure, answers: dict[str, Any]) -> tuple[int | None, str]:
    company: int | None = None
    channel = ""
    for view in structure.questions.values():
        value = answers.get(view.key)
        if value is None or value == NA:
            continue
        if view.question.role == QuestionRole.COMPANY:
            company = structure.company_ids.get(str(value))
        elif view.question.role == QuestionRole.CHANNEL:
            channel = str(value)
    return company, channel


#: The columns of an answer row besides its response and wave, as ``answer_values`` gives them.
ANSWER_COLUMNS = (
    "question_id",
    "section_id",
    "company_id",
    "channel",
    "value_text",
    "value_number",
    "value_choices",
    "is_na",
    "score",
)


def answer_row(
    response: Response, view: QuestionView, value: Any, company: int | None, channel: str
) -> Answer:
    """The typed ``Answer`` row for one cleaned value, carrying what aggregation groups by."""
    values = dict(zip(ANSWER_COLUMNS, answer_values(view, value, company, channel), strict=True))
    del values["question_id"]
    return Answer(response=response, question=view.question, wave_id=response.wave_id, **values)


def answer_values(
    view: QuestionView, value: Any, company: int | None, channel: str
) -> tuple[Any, ...]:
    """One cleaned value as the ``ANSWER_COLUMNS`` of its row: the value in the column of its
    type, its 0–100 score, and what aggregation groups by."""
    text, number, choices, score = "", None, None, None
    is_na = value == NA
    if not is_na:
        if isinstance(value, list):
            choices = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        else:
            text = str(value)
        score = score_0_100(view.info, value)
    question = view.question
    return (question.pk, question.section_id, company, channel, text, number, choices, is_na, score)


def _copy_weighting_cell(response: Response) -> None:
    invitation = response.invitation
    if invitation is None:
        return
    panelist = invitation.panelist
    response.gender = panelist.gender
    response.region = panelist.region
    response.age_group = age_group(panelist.birth_year, on=response.wave.reference_date)


def response_invalidate(*, response: Response, by: Any, reason: str) -> Response:
    """Exclude a response from results, recording who did it, when and why."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give a reason for marking the response invalid."), code="reason")
    if response.status not in {ResponseStatus.SUBMITTED, ResponseStatus.APPROVED}:
        raise DomainError(
            _("Only submitted responses can be marked invalid."), code="not_submitted"
        )
    Response.objects.filter(pk=response.pk).update(
        invalid_reason=reason[:300], invalidated_by=by, invalidated_at=timezone.now()
    )
    response.refresh_from_db()
    return response


def response_restore(*, response: Response) -> Response:
    """Undo ``response_invalidate``."""
    Response.objects.filter(pk=response.pk).update(
        invalid_reason="", invalidated_by=None, invalidated_at=None
    )
    response.refresh_from_db()
    return response
