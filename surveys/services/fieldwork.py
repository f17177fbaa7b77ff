"""Fieldwork: an observer records contact attempts, fills the evaluation and submits it to QA.

The waiting rules of DOMAIN.md: phone and chat wait 5 minutes (then a second attempt on another
day of the same planned week), e-mail and contact forms 3 working days (an automatic reply is no
answer), Messenger 30 minutes. An answer after the limit is no answer. Two failed attempts close
the contact as *not answered*, which scores 0 and goes to QA at once. An answered contact gets a
draft evaluation (autosaved like a respondent's draft); submitting it stores the answers, computes
the score and hands the report to QA. Every status change is logged as a ``ReviewEvent``.

Each write locks the assignment row first, so a double click or a retry makes one attempt, one
report, one set of answers.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from kundeservice.errors import ConflictError, DomainError
from surveys import scoring
from surveys.evaluation import (
    clean_answers,
    missing_answers,
    scored_item,
    shown_only,
    unanswered_items,
)
from surveys.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    AttemptResult,
    ContactAttempt,
    ContactOutcome,
    ObservationSetup,
    QuestionnaireKind,
    Response,
    ResponseSource,
    ResponseStatus,
    ReviewEvent,
    WaveStatus,
)
from surveys.selectors import Structure, questionnaire_structure
from surveys.services.responding import answer_row
from surveys.weeks import week_bounds, week_label

User = AbstractBaseUser | AnonymousUser

MAX_ATTEMPTS = 2
#: Channels whose second attempt must be made on another day than the first.
RETRY_ANOTHER_DAY = {"phone", "chat", "chatbot"}
#: While an assignment is in one of these and has no outcome, attempts may be recorded.
OPEN_STATUSES = (AssignmentStatus.PLANNED, AssignmentStatus.IN_PROGRESS)
#: An answered contact's evaluation may be edited in these.
EDITABLE_STATUSES = (AssignmentStatus.IN_PROGRESS, AssignmentStatus.RETURNED)
#: A report in one of these has been handed in: submitting again changes nothing.
HANDED_IN = (AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED)
DEFAULT_WINDOW = (time(9, 0), time(15, 0))
#: How far in the future a recorded time may lie (phones and servers disagree a little).
CLOCK_SKEW = timedelta(minutes=2)


class NotYourAssignment(DomainError):
    """Only the assignment's own observer may record or report on it."""

    status_code = 404


class IncompleteEvaluation(DomainError):
    """Answers missing or not accepted; ``errors`` maps question keys to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Some questions still need an answer."), code="incomplete")
        self.errors = errors


@dataclass
class EvaluationDraft:
    """The draft after an autosave, with the values that were not accepted and why."""

    response: Response
    errors: dict[str, str] = field(default_factory=dict)


def wait_limit_text(channel: str) -> str:
    """The channel's waiting limit in words: "5 minutes", "3 working days"."""
    if channel in scoring.WAIT_LIMIT_WORKING_DAYS:
        days = scoring.WAIT_LIMIT_WORKING_DAYS[channel]
        return ngettext("%(n)d working day", "%(n)d working days", days) % {"n": days}
    minutes = int(scoring.wait_limit_minutes(channel))
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def attempt_record(
    *,
    assignment: Assignment,
    user: User,
    started_at: datetime,
    answered_at: datetime | None = None,
    result: str,
    note: str = "",
) -> ContactAttempt:
    """Record one try at reaching the company, under every waiting rule.

    An answer opens the evaluation (a draft report); a second failed try closes the contact as
    not answered (score 0) and hands it to QA. Problems are raised per field (``started_at``,
    ``answered_at``, ``result``) with nothing stored."""
    started_at = _aware(started_at)
    answered_at = _aware(answered_at) if answered_at is not None else None
    with transaction.atomic():
        locked = _locked(assignment, user)
        if locked.status not in OPEN_STATUSES or locked.outcome:
            raise ConflictError(
                _("This contact is already closed; no more attempts can be recorded."),
                code="closed",
            )
        if locked.wave.status == WaveStatus.CLOSED:
            raise ConflictError(_("This wave has closed."), code="wave_closed")
        attempts = list(locked.attempts.order_by("number"))
        if len(attempts) >= MAX_ATTEMPTS:
            raise ConflictError(_("Both attempts are recorded."), code="attempts_used")
        errors = _attempt_errors(locked, attempts, started_at, answered_at, result)
        if errors:
            raise DomainError(errors, code="attempt")
        if result == AttemptResult.ANSWERED and (
            locked.wave.questionnaire.kind != QuestionnaireKind.EVALUATION
        ):
            raise DomainError(
                _("This wave has no evaluation form; ask the project manager."), code="form"
            )
        attempt = ContactAttempt.objects.create(
            assignment=locked,
            number=len(attempts) + 1,
            started_at=started_at,
            answered_at=answered_at if result == AttemptResult.ANSWERED else None,
            result=result,
            note=note.strip()[:2000],
        )
        if locked.status == AssignmentStatus.PLANNED:
            log_transition(assignment=locked, to=AssignmentStatus.IN_PROGRESS, actor=user)
        if result == AttemptResult.ANSWERED:
            locked.outcome = ContactOutcome.ANSWERED
            Response.objects.create(
                wave_id=locked.wave_id,
                source=ResponseSource.OBSERVER,
                assignment=locked,
                company_id=locked.company_id,
                channel=locked.channel,
                language=(get_language() or "nb")[:5],
            )
        elif attempt.number == MAX_ATTEMPTS:
            _close_not_answered(locked, user)
        locked.save(update_fields=["status", "outcome", "updated_at"])
    _refresh(assignment, locked)
    return attempt


def evaluation_save(
    *, assignment: Assignment, user: User, answers: Mapping[str, Any], strict: bool = False
) -> EvaluationDraft:
    """Replace the draft evaluation with ``answers`` (question key → value or list of values).

    The autosave keeps what is valid and reports the rest; with ``strict`` any problem raises
    ``IncompleteEvaluation`` and nothing is stored. Answers to questions branching hides are
    dropped."""
    with transaction.atomic():
        locked = _locked(assignment, user)
        response = _editable_report(locked)
        structure = questionnaire_structure(questionnaire=locked.wave.questionnaire)
        cleaned, errors = clean_answers(structure, answers)
        if errors and strict:
            raise IncompleteEvaluation(errors)
        response.draft = shown_only(structure, cleaned)
        response.save(update_fields=["draft", "updated_at"])
    _refresh(assignment, locked)
    return EvaluationDraft(response=response, errors=errors)


def evaluation_submit(
    *, assignment: Assignment, user: User, answers: Mapping[str, Any] | None = None
) -> Response:
    """Validate the evaluation, store its answers and score, and hand the report to QA.

    ``answers`` (when given) replace the draft first. A report already handed in is returned as
    it is, so a double submit makes one report. A resubmission after a return replaces the
    answers."""
    with transaction.atomic():
        locked = _locked(assignment, user)
        if locked.status in HANDED_IN:
            return Response.objects.get(assignment=locked)
        response = _editable_report(locked)
        structure = questionnaire_structure(questionnaire=locked.wave.questionnaire)
        if answers is not None:
            cleaned, errors = clean_answers(structure, answers)
            if errors:
                raise IncompleteEvaluation(errors)
            response.draft = cleaned
        shown = shown_only(structure, dict(response.draft))
        missing = missing_answers(structure, shown)
        if missing:
            raise IncompleteEvaluation(missing)
        Answer.objects.filter(response=response).delete()
        Answer.objects.bulk_create(
            [
                answer_row(response, view, shown[view.key], locked.company_id, locked.channel)
                for section in structure.visible_sections(shown)
                for view in structure.visible_questions(section, shown)
                if view.key in shown
            ],
            batch_size=500,
        )
        result = _score(structure, shown, locked)
        response.draft = shown
        response.score = result.total
        response.section_scores = result.sections
        response.status = ResponseStatus.SUBMITTED
        response.submitted_at = timezone.now()
        response.save()
        log_transition(assignment=locked, to=AssignmentStatus.SUBMITTED, actor=user)
        locked.return_reason = ""
        locked.save(update_fields=["status", "return_reason", "updated_at"])
    _refresh(assignment, locked)
    return response


def log_transition(*, assignment: Assignment, to: str, actor: Any, reason: str = "") -> ReviewEvent:
    """Move the assignment to status ``to`` (the caller saves it) and log who, when and why."""
    event = ReviewEvent.objects.create(
        assignment=assignment,
        from_status=assignment.status,
        to_status=to,
        actor=actor if actor is not None and actor.is_authenticated else None,
        reason=reason,
    )
    assignment.status = to
    return event


def _locked(assignment: Assignment, user: User) -> Assignment:
    locked = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("wave__questionnaire", "observer")
        .get(pk=assignment.pk)
    )
    if not user.is_authenticated or locked.observer.user_id != user.pk:
        raise NotYourAssignment(_("This is not one of your assignments."), code="not_yours")
    return locked


def _refresh(assignment: Assignment, locked: Assignment) -> None:
    """Let the caller's instance show the new state."""
    assignment.status = locked.status
    assignment.outcome = locked.outcome
    assignment.return_reason = locked.return_reason


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _attempt_errors(
    assignment: Assignment,
    attempts: list[ContactAttempt],
    started_at: datetime,
    answered_at: datetime | None,
    result: str,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    now = timezone.now()
    channel = assignment.channel
    limit = wait_limit_text(channel)
    if result not in AttemptResult.values:
        add("result", _("Choose what happened: answered, no answer or only an automatic reply."))
    local = timezone.localtime(started_at)
    first_day, last_day = week_bounds(starts_on=assignment.wave.starts_on, week=assignment.week)
    window = _window(assignment)
    if started_at > now + CLOCK_SKEW:
        add("started_at", _("The contact cannot start in the future."))
    elif not first_day <= local.date() <= last_day:
        add(
            "started_at",
            _("This contact is planned for %(week)s, %(first)s to %(last)s.")
            % {
                "week": week_label(starts_on=assignment.wave.starts_on, week=assignment.week),
                "first": formats.date_format(first_day, "SHORT_DATE_FORMAT"),
                "last": formats.date_format(last_day, "SHORT_DATE_FORMAT"),
            },
        )
    elif local.weekday() >= 5 or not window[0] <= local.time() <= window[1]:
        add(
            "started_at",
            _("Contacts are made on weekdays between %(start)s and %(end)s.")
            % {"start": window[0].strftime("%H:%M"), "end": window[1].strftime("%H:%M")},
        )
    if attempts and "started_at" not in errors:
        first = attempts[0]
        first_local = timezone.localtime(first.started_at)
        if started_at <= first.started_at:
            add("started_at", _("The second attempt must come after the first."))
        elif channel in RETRY_ANOTHER_DAY and local.date() == first_local.date():
            add(
                "started_at",
                _("Make the second attempt on another day than the first (%(day)s).")
                % {"day": formats.date_format(first_local.date(), "SHORT_DATE_FORMAT")},
            )
    if result == AttemptResult.ANSWERED:
        if answered_at is None:
            add("answered_at", _("Give the time you were answered."))
        elif answered_at < started_at:
            add("answered_at", _("The answer cannot come before the contact started."))
        elif answered_at > now + CLOCK_SKEW:
            add("answered_at", _("The answer cannot be in the future."))
        elif not scoring.within_limit(channel, started_at, answered_at):
            add(
                "answered_at",
                _(
                    "The answer came after the waiting limit (%(limit)s): record this "
                    "attempt as no answer."
                )
                % {"limit": limit},
            )
    elif result in AttemptResult.values and "started_at" not in errors:
        waited = scoring.wait_minutes(channel, started_at, now)
        if waited < scoring.wait_limit_minutes(channel):
            add(
                "result",
                _("Wait the full waiting limit (%(limit)s) before recording no answer.")
                % {"limit": limit},
            )
    return errors


def _window(assignment: Assignment) -> tuple[time, time]:
    setup = ObservationSetup.objects.filter(wave_id=assignment.wave_id).first()
    return (setup.window_start, setup.window_end) if setup else DEFAULT_WINDOW


def _close_not_answered(assignment: Assignment, user: User) -> None:
    """Two failed attempts: a report scoring 0 in total and in every area where something
    scored applies to it, handed to QA."""
    assignment.outcome = ContactOutcome.NOT_ANSWERED
    structure = questionnaire_structure(questionnaire=assignment.wave.questionnaire)
    result = scoring.contact_score(
        answered=False,
        items=unanswered_items(structure),
        section_weights={s.section.key: float(s.section.weight) for s in structure.sections},
    )
    Response.objects.create(
        wave_id=assignment.wave_id,
        source=ResponseSource.OBSERVER,
        assignment=assignment,
        company_id=assignment.company_id,
        channel=assignment.channel,
        language=(get_language() or "nb")[:5],
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now(),
        score=result.total,
        section_scores=result.sections,
    )
    log_transition(
        assignment=assignment,
        to=AssignmentStatus.SUBMITTED,
        actor=user,
        reason=_("Not answered after two attempts."),
    )


def _editable_report(assignment: Assignment) -> Response:
    if assignment.status not in EDITABLE_STATUSES or (
        assignment.outcome != ContactOutcome.ANSWERED
    ):
        if assignment.status in HANDED_IN:
            raise ConflictError(
                _("This report is handed in and can no longer be changed."), code="handed_in"
            )
        raise ConflictError(
            _("Record an answered attempt before filling in the evaluation."), code="not_answered"
        )
    return Response.objects.get(assignment=assignment)


def _score(
    structure: Structure, answers: dict[str, Any], assignment: Assignment
) -> scoring.ContactScore:
    items = [
        item
        for section in structure.visible_sections(answers)
        for view in structure.visible_questions(section, answers)
        if (item := scored_item(section.section.key, view, answers.get(view.key))) is not None
    ]
    setup = ObservationSetup.objects.filter(wave_id=assignment.wave_id).first()
    answered = assignment.attempts.filter(result=AttemptResult.ANSWERED).order_by("-number").first()
    wait = None
    if answered is not None and answered.answered_at is not None:
        minutes = scoring.wait_minutes(
            assignment.channel, answered.started_at, answered.answered_at
        )
        wait = scoring.wait_score(assignment.channel, minutes)
    return scoring.contact_score(
        answered=True,
        items=items,
        section_weights={s.section.key: float(s.section.weight) for s in structure.sections},
        wait_score=wait,
        wait_share=float(setup.wait_time_share) if setup else 0.05,
    )
