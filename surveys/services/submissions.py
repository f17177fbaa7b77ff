"""Write-behind for the respondent API: accept a whole questionnaire with one INSERT, turn many
into responses and answers later, in bulk.

``submission_accept`` is the request's part: one narrow read of the invitation, validation
against the process-cached questionnaire structure, and one ``INSERT … ON CONFLICT`` of the
cleaned answers into ``SubmissionInbox``. When it returns, the submission is committed: that is
what the API's 202 promises. A repeat finds the row and stores nothing twice.

``submissions_expand`` is the worker's part (the ``expand_submissions`` task, queued after the
INSERT commits and swept by celery beat every minute): it claims pending rows with
``SKIP LOCKED``, writes their responses with ``bulk_create`` and all their answers with one
``COPY``, marks the invitations
completed and the rows saved, one transaction per batch. Running it twice, or in parallel, saves
each submission once.
"""

import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import psycopg
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kundeservice.celery import app as celery_app
from kundeservice.tasks import enqueue
from surveys.evaluation import clean_answers, missing_answers, shown_only
from surveys.models import (
    Answer,
    Company,
    Invitation,
    InvitationStatus,
    Questionnaire,
    Response,
    ResponseSource,
    ResponseStatus,
    SubmissionInbox,
    SubmissionStatus,
    Wave,
    WaveStatus,
)
from surveys.selectors import Structure, questionnaire_structure, questionnaire_structure_by_id
from surveys.services.responding import (
    ANSWER_COLUMNS,
    IncompleteResponse,
    LinkProblem,
    response_submit,
    response_submitted_values,
    token_hash,
)
from surveys.tasks import expand_submissions
from surveys.webhook_events import RESPONSE_SAVED
from webhooks.services.events import webhook_events_emit

logger = logging.getLogger(__name__)

#: What ``submission_accept`` returns for a submission that is stored and waiting (or being)
#: expanded; a finished one returns its response's status instead.
RECEIVED = "received"
EXPAND_BATCH = 500
#: Seconds an expansion task waits before it runs, so that one task saves every submission a web
#: process accepted in that time (queueing a task costs more than the rest of a submit).
EXPANSION_DELAY = 1.0
_FINISHED = {InvitationStatus.COMPLETED, InvitationStatus.SCREENED_OUT}

# The two statements of the hot path in SQL: the ORM's query compilation alone cost more CPU
# than the baseline's whole request (bench/RESULTS.md). Three tables, no model instances.
_INVITATION_SQL = """
SELECT i.id, i.status, i.expires_at, w.status, w.questionnaire_id, q.updated_at
FROM surveys_invitation i
JOIN surveys_wave w ON w.id = i.wave_id
JOIN surveys_questionnaire q ON q.id = w.questionnaire_id
WHERE i.token_hash = %s
"""
# The common case in one statement: answers already checked against the questionnaire version
# this process saw last are stored only if the link is open, unfinished and for that version.
_INSERT_IF_OPEN_SQL = """
INSERT INTO surveys_submissioninbox (invitation_id, answers, status, error)
SELECT i.id, %s, %s, ''
FROM surveys_invitation i
JOIN surveys_wave w ON w.id = i.wave_id
JOIN surveys_questionnaire q ON q.id = w.questionnaire_id
WHERE i.token_hash = %s AND i.status NOT IN (%s, %s) AND i.expires_at >= %s
  AND w.status = %s AND q.id = %s AND q.updated_at = %s
ON CONFLICT (invitation_id) DO NOTHING
RETURNING id
"""
# A failed row (see ``_expand_one``) is replaced by a new submit; any other row stays as it is.
_INSERT_SQL = """
INSERT INTO surveys_submissioninbox AS s (invitation_id, answers, status, error)
VALUES (%s, %s, %s, '')
ON CONFLICT (invitation_id) DO UPDATE
SET answers = excluded.answers, status = excluded.status, error = '',
    received_at = CURRENT_TIMESTAMP, processed_at = NULL
WHERE s.status = %s
"""


def submission_accept(*, token: str, answers: Mapping[str, Any]) -> str:
    """Validate a whole questionnaire answered with an invitation's token and store it to be
    expanded. Returns ``RECEIVED``, or the response's status when the invitation is finished.
    Raises ``LinkProblem`` for an unknown, closed or expired link and ``IncompleteResponse`` with
    a message per question (in the respondent's language) when answers are wrong or missing;
    nothing is stored then.

    Usually one statement: answers that pass the questionnaire version this process accepted
    last are stored by an INSERT that checks the link in SQL. Anything else (another version,
    wrong answers, a closed, finished or repeated link) takes the path that reads the invitation
    first and says why."""
    hashed = token_hash(token)
    if _stored_as_last_time(hashed, answers):
        transaction.on_commit(_queue_expansion)
        return RECEIVED
    return _accept(hashed, answers)


def submissions_expand(
    *, invitation_ids: Iterable[int] | None = None, batch_size: int = EXPAND_BATCH
) -> dict[str, int]:
    """Turn pending submissions (all, or those of ``invitation_ids``) into submitted responses
    with their answers, a batch per transaction. Returns how many rows ended in each status.

    Safe to run twice and in parallel: rows are claimed with ``SKIP LOCKED`` and marked when
    done. A submission whose invitation was meanwhile answered in the browser is marked
    already answered and stores nothing."""
    ids = None if invitation_ids is None else list(invitation_ids)
    totals: Counter[str] = Counter()
    while True:
        outcome = _expand_batch(batch_size, ids)
        totals.update(outcome)
        if outcome.total() < batch_size:
            return dict(totals)


def _accept(hashed: str, answers: Mapping[str, Any]) -> str:
    global _last_version
    with _prepared_cursor() as cursor:
        cursor.execute(_INVITATION_SQL, [hashed])
        row = cursor.fetchone()
        if row is None:
            raise LinkProblem(_("This link is not valid."), reason="unknown")
        invitation_id, status, expires_at, wave_status, questionnaire_id, updated_at = row
        if status in _FINISHED:
            return _response_status(invitation_id)
        if _aware(expires_at) < timezone.now() or wave_status != WaveStatus.OPEN:
            raise LinkProblem(_("This survey is closed."), reason="expired")
        version = (questionnaire_id, _aware(updated_at))
        cleaned, errors = _validated(_structure(version), answers)
        if errors:
            language, stored = _language_and_submission(invitation_id)
            if stored is not None and stored != SubmissionStatus.FAILED:
                return RECEIVED  # a repeat of an accepted submit answers as the first one did
            with translation.override(language):
                raise IncompleteResponse(_validated(_structure(version), answers)[1], 0)
        cursor.execute(
            _INSERT_SQL,
            [
                invitation_id,
                _answers_value(cleaned),
                SubmissionStatus.PENDING,
                SubmissionStatus.FAILED,
            ],
        )
    _last_version = version
    transaction.on_commit(_queue_expansion)
    return RECEIVED


# The questionnaire version (id, updated_at) this process last accepted a submission for.
_last_version: tuple[int, datetime] | None = None


def _stored_as_last_time(hashed: str, answers: Mapping[str, Any]) -> bool:
    """Store answers that pass the questionnaire version this process accepted last, if the
    link is open, unfinished, answered for the first time and for that version; False (nothing
    stored) otherwise."""
    global _last_version
    version = _last_version
    if version is None:
        return False
    try:
        cleaned, errors = _validated(_structure(version), answers)
    except Questionnaire.DoesNotExist:  # deleted since
        _last_version = None
        return False
    if errors:
        return False
    adapt = connection.ops.adapt_datetimefield_value
    with _prepared_cursor() as cursor:
        cursor.execute(
            _INSERT_IF_OPEN_SQL,
            [
                _answers_value(cleaned),
                SubmissionStatus.PENDING,
                hashed,
                InvitationStatus.COMPLETED,
                InvitationStatus.SCREENED_OUT,
                adapt(timezone.now()),
                WaveStatus.OPEN,
                version[0],
                adapt(version[1]),
            ],
        )
        return cursor.fetchone() is not None


def _prepared_cursor() -> Any:
    """A cursor for the hot statements above. On PostgreSQL its statements are prepared: parsed
    and planned once per connection, then only executed (Django binds parameters on the client,
    so PostgreSQL parses and plans every statement again: about 0.2 ms of its CPU for the
    INSERT of a submit, as much as the baseline's whole INSERT, bench/RESULTS.md). It is
    Django's cursor wrapper (query logging, error wrapping) around psycopg's server-binding
    cursor, in the request's transaction. Elsewhere: the usual cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    pg = connection.connection
    if pg.prepare_threshold is None:  # Django's default: psycopg then prepares nothing at all
        # Only statements asked for explicitly (below): Django's own cursors bind on the
        # client and never prepare, whatever the threshold.
        pg.prepare_threshold = _EXPLICIT_ONLY
    raw = _PreparingCursor(pg)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)  # type: ignore[arg-type]
    return connection.make_cursor(raw)  # type: ignore[arg-type]


_EXPLICIT_ONLY = 2**31 - 1


class _PreparingCursor(psycopg.Cursor[Any]):
    """psycopg's server-side binding cursor that prepares every statement it runs (psycopg
    keeps the prepared statements per connection, at most ``prepared_max``)."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        return super().execute(query, params, prepare=True)


def _answers_value(cleaned: dict[str, Any]) -> Any:
    return SubmissionInbox._meta.get_field("answers").get_db_prep_save(cleaned, connection)


def _structure(version: tuple[int, datetime]) -> Structure:
    return questionnaire_structure_by_id(questionnaire_id=version[0], updated_at=version[1])


def _validated(
    structure: Structure, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Cleaned answers to the questions branching shows, and a message per bad or missing one."""
    cleaned, errors = clean_answers(structure, answers)
    if errors:
        return cleaned, errors
    cleaned = shown_only(structure, cleaned)
    return cleaned, missing_answers(structure, cleaned)


def _aware(value: datetime | str) -> datetime:
    """A timestamp from a raw query: PostgreSQL gives aware datetimes, SQLite naive UTC (as a
    datetime or as text, by how the column was declared)."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        assert parsed is not None
        value = parsed
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def _response_status(invitation_id: int) -> str:
    return str(
        Response.objects.filter(invitation_id=invitation_id)
        .values_list("status", flat=True)
        .first()
        or ResponseStatus.SUBMITTED
    )


def _language_and_submission(invitation_id: int) -> tuple[str, str | None]:
    """The respondent's language and their stored submission's status, if any (the rare path:
    refused answers)."""
    language, stored = (
        Invitation.objects.filter(pk=invitation_id)
        .values_list("panelist__language", "submission__status")
        .get()
    )
    return language or "nb", stored


_expansion_due = 0.0  # time.monotonic() before which this process queues no expansion


def _queue_expansion() -> None:
    """Queue an expansion after a submission commits, at most one a second per process.

    The task waits ``EXPANSION_DELAY`` before it runs, so one that is still due will find this
    submission; only then is none queued. With the broker down nothing is queued for a while
    (``enqueue``); beat's sweep saves what was accepted meanwhile."""
    global _expansion_due
    now = time.monotonic()
    # The margin covers a worker whose clock runs a little ahead of this one.
    if not celery_app.conf.task_always_eager and now < _expansion_due - EXPANSION_DELAY / 4:
        return
    _expansion_due = now + EXPANSION_DELAY
    enqueue(expand_submissions, countdown=EXPANSION_DELAY)


def _expand_batch(size: int, invitation_ids: list[int] | None) -> Counter[str]:
    with transaction.atomic():
        rows = _claim(size, invitation_ids)
        if not rows:
            return Counter()
        started = set(
            Response.objects.filter(
                invitation_id__in=[row.invitation_id for row in rows]
            ).values_list("invitation_id", flat=True)
        )
        fresh = [row for row in rows if row.invitation_id not in started]
        one_by_one = [row for row in rows if row.invitation_id in started]
        outcome: Counter[str] = Counter()
        try:
            with transaction.atomic():
                outcome = _expand_in_bulk(fresh)
        except IntegrityError:  # the browser flow opened one of these links meanwhile
            one_by_one = rows
        for row in one_by_one:
            outcome[_expand_one(row)] += 1
        return outcome


def _claim(size: int, invitation_ids: list[int] | None) -> list[SubmissionInbox]:
    """Up to ``size`` pending rows, locked until the transaction ends; rows another expansion
    holds are skipped, so parallel expansions share the work instead of doing it twice."""
    pending = SubmissionInbox.objects.filter(status=SubmissionStatus.PENDING)
    if invitation_ids is not None:
        pending = pending.filter(invitation_id__in=invitation_ids)
    return list(
        pending.select_for_update(skip_locked=True, of=("self",))
        .select_related("invitation__panelist")
        .order_by("id")[:size]
    )


def _expand_in_bulk(rows: list[SubmissionInbox]) -> Counter[str]:
    """Submissions with no response yet: every response, answer and status in a few
    statements."""
    if not rows:
        return Counter()
    now = timezone.now()
    structures = _Structures(row.invitation.wave_id for row in rows)
    responses: list[Response] = []
    answers: list[tuple[Response, list[tuple[Any, ...]]]] = []
    failed: list[SubmissionInbox] = []
    for row in rows:
        language = _language(row.invitation)
        structure = structures.get(row.invitation.wave_id, language)
        shown = shown_only(structure, row.answers)
        with translation.override(language):
            missing = missing_answers(structure, shown)
        if missing:
            failed.append(_failed(row, missing, now))
            continue
        response = Response(
            wave=structures.waves[row.invitation.wave_id],
            source=ResponseSource.PANEL,
            invitation=row.invitation,
            language=language,
            page=len(structure.sections),
        )
        values = response_submitted_values(
            response=response, structure=structure, answers=shown, now=now
        )
        answers.append((response, values))
        responses.append(response)
    Response.objects.bulk_create(responses)
    _write_answers(answers)
    _emit_saved(responses, structures)
    for status, invitation_status in [
        (ResponseStatus.SUBMITTED, InvitationStatus.COMPLETED),
        (ResponseStatus.SCREENED_OUT, InvitationStatus.SCREENED_OUT),
    ]:
        Invitation.objects.filter(
            pk__in=[r.invitation_id for r in responses if r.status == status]
        ).update(status=invitation_status, completed_at=now)
    SubmissionInbox.objects.filter(
        pk__in=[row.pk for row in rows if row.status == SubmissionStatus.PENDING]
    ).update(status=SubmissionStatus.SAVED, processed_at=now)
    if failed:
        SubmissionInbox.objects.bulk_update(failed, ["status", "processed_at", "error"])
    return Counter({SubmissionStatus.SAVED: len(responses), SubmissionStatus.FAILED: len(failed)})


def _write_answers(answers: list[tuple[Response, list[tuple[Any, ...]]]]) -> None:
    """Every answer row of the batch in one statement: on PostgreSQL a ``COPY`` of plain
    tuples (building an ``Answer`` per value and compiling ``bulk_create``'s INSERT was most of
    the worker's time, bench/RESULTS.md); elsewhere ``bulk_create``."""
    if connection.vendor != "postgresql":
        Answer.objects.bulk_create(
            [
                Answer(
                    response=response,
                    wave_id=response.wave_id,
                    **dict(zip(ANSWER_COLUMNS, row, strict=True)),
                )
                for response, rows in answers
                for row in rows
            ],
            batch_size=1000,
        )
        return
    choices = ANSWER_COLUMNS.index("value_choices")
    with connection.cursor() as cursor, cursor.copy(_COPY_ANSWERS_SQL) as copy:
        for response, rows in answers:
            for row in rows:
                if row[choices] is not None:
                    row = (*row[:choices], json.dumps(row[choices]), *row[choices + 1 :])
                copy.write_row((response.pk, response.wave_id, *row))


_COPY_ANSWERS_SQL = (
    f"COPY surveys_answer (response_id, wave_id, {', '.join(ANSWER_COLUMNS)}) FROM STDIN"
)


def _emit_saved(responses: list[Response], structures: "_Structures") -> None:
    """``response.saved`` for the submitted ones, one INSERT for the batch; their waves are
    loaded already and their companies in one query."""
    submitted = [r for r in responses if r.status == ResponseStatus.SUBMITTED]
    companies = Company.objects.in_bulk({r.company_id for r in submitted if r.company_id})
    for response in submitted:
        response.wave = structures.waves[response.wave_id]
        response.company = companies.get(response.company_id) if response.company_id else None
    webhook_events_emit(event=RESPONSE_SAVED, subjects=submitted)


def _expand_one(row: SubmissionInbox) -> str:
    """One submission through the browser flow's own submit, which locks the response: for an
    invitation whose link the respondent also opened in the browser."""
    now = timezone.now()
    language = _language(row.invitation)
    with transaction.atomic():
        response, _created = Response.objects.get_or_create(
            invitation=row.invitation,
            defaults={
                "wave_id": row.invitation.wave_id,
                "source": ResponseSource.PANEL,
                "language": language,
            },
        )
        response = Response.objects.select_for_update(of=("self",)).get(pk=response.pk)
        row.status, row.error, row.processed_at = SubmissionStatus.SAVED, "", now
        if response.is_final:
            row.status = SubmissionStatus.ALREADY_ANSWERED
        else:
            structure = _Structures([row.invitation.wave_id]).get(row.invitation.wave_id, language)
            try:
                with translation.override(language):
                    response_submit(
                        response_id=response.pk, structure=structure, answers=row.answers
                    )
            except IncompleteResponse as incomplete:
                _failed(row, incomplete.errors, now)
        row.save(update_fields=["status", "processed_at", "error"])
    return str(row.status)


def _failed(row: SubmissionInbox, errors: dict[str, str], now: datetime) -> SubmissionInbox:
    """Answers that were complete when accepted and are not now: only a questionnaire changed
    under a wave in fieldwork does this. Logged and kept; a new submit replaces it."""
    logger.error("submission %s could not be saved: %s", row.pk, errors)
    row.status = SubmissionStatus.FAILED
    row.processed_at = now
    row.error = "; ".join(f"{key}: {message}" for key, message in errors.items())[:300]
    return row


def _language(invitation: Invitation) -> str:
    return invitation.panelist.language or "nb"


class _Structures:
    """The questionnaire structure of each wave in a batch, per language, read once."""

    def __init__(self, wave_ids: Iterable[int]) -> None:
        self.waves = Wave.objects.select_related("questionnaire").in_bulk(set(wave_ids))
        self.built: dict[tuple[int, str], Structure] = {}

    def get(self, wave_id: int, language: str) -> Structure:
        key = (wave_id, language)
        if key not in self.built:
            with translation.override(language):
                self.built[key] = questionnaire_structure(
                    questionnaire=self.waves[wave_id].questionnaire
                )
        return self.built[key]
