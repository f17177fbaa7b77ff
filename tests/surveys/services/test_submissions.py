"""Write-behind submissions: the worker's expansion (bulk, idempotent, beside the browser flow),
the sweep, and what the rest of the site sees of a submission still waiting to be saved."""

import copy
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from kombu.exceptions import OperationalError as KombuOperationalError

from kundeservice.celery import app as celery_app
from surveys import selectors
from surveys.answers import NA
from surveys.models import (
    Answer,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    SubmissionInbox,
    SubmissionStatus,
    Wave,
)
from surveys.selectors import questionnaire_structure
from surveys.services import submissions
from surveys.services.mailing import reminders_due
from surveys.services.panels import panelist_erase, panelist_export
from surveys.services.questionnaires import questionnaire_create
from surveys.services.responding import response_for_token, response_submit, token_hash
from surveys.services.submissions import RECEIVED, submission_accept, submissions_expand
from surveys.tasks import expand_submissions
from tests.factories import CompanyFactory, PanelistFactory, WaveFactory, invite
from tests.surveys.api.test_respond_submit import ANSWERS
from tests.surveys.services.test_exports import SPEC as EXPORT_SPEC

pytestmark = pytest.mark.django_db


@pytest.fixture
def wave() -> Wave:
    CompanyFactory(slug="fjordbanken")
    return WaveFactory()


def accepted(wave: Wave, n: int = 1, **panelist: Any) -> list[str]:
    tokens = [invite(wave, PanelistFactory(**panelist)) for _ in range(n)]
    for token in tokens:
        assert submission_accept(token=token, answers=ANSWERS) == RECEIVED
    return tokens


def test_a_batch_is_saved_in_a_few_statements_with_one_write_of_answers(wave: Wave) -> None:
    accepted(wave, 5)
    with translation.override("nb"):
        questionnaire_structure(questionnaire=wave.questionnaire)  # cached, as in a busy worker
    with (
        CaptureQueriesContext(connection) as queries,
        mock.patch.object(
            submissions, "_write_answers", wraps=submissions._write_answers
        ) as write_answers,
    ):
        assert submissions_expand() == {"saved": 5, "failed": 0}
    # Every answer of the batch in one call: one COPY on PostgreSQL (which the query log does
    # not show), one INSERT elsewhere; never a statement per response or per answer.
    write_answers.assert_called_once()
    answer_inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "surveys_answer"')]
    assert len(answer_inserts) == (0 if connection.vendor == "postgresql" else 1)
    # claim, find responses, waves, one INSERT each of responses and answers, two invitation
    # UPDATEs, one inbox UPDATE (the structure is cached; savepoints aside): not per row.
    assert len([q for q in queries if "SAVEPOINT" not in q["sql"]]) <= 10
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 5
    assert Answer.objects.count() == 5 * len(ANSWERS)
    assert set(Invitation.objects.values_list("status", flat=True)) == {InvitationStatus.COMPLETED}


def test_the_batch_stores_exactly_the_rows_the_browser_submit_stores() -> None:
    """The bulk write (COPY of plain values) and the browser's submit (``Answer`` objects)
    store the same rows: choices as JSON, N/A, scores, numbers, and text that COPY must
    escape."""
    CompanyFactory(slug="fjordbanken")
    wave = WaveFactory(questionnaire=questionnaire_create(spec=copy.deepcopy(EXPORT_SPEC)))
    answers = {
        "contacted_cs": "yes",
        "company": "fjordbanken",
        "channel": "phone",
        "satisfaction": NA,
        "reasons": ["invoice", "other"],
        "wait_minutes": 4,
        "comment": 'Tab\there, a line\nbreak, a back\\slash, \\N and "quotes" æøå',
    }
    in_browser, in_bulk = invite(wave), invite(wave)
    response_for_token(token=in_browser)  # opened in the browser: saved one by one
    for token in (in_browser, in_bulk):
        assert submission_accept(token=token, answers=answers) == RECEIVED
    assert submissions_expand() == {"saved": 2, "failed": 0}
    columns = [
        "question__key",
        "wave_id",
        "section_id",
        "company_id",
        "channel",
        "value_text",
        "value_number",
        "value_choices",
        "is_na",
        "score",
    ]
    rows = {
        token: sorted(
            Answer.objects.filter(response__invitation__token_hash=token_hash(token)).values_list(
                *columns
            )
        )
        for token in (in_browser, in_bulk)
    }
    assert len(rows[in_bulk]) == 7
    assert rows[in_bulk] == rows[in_browser]
    stored = {row[0]: row[1:] for row in rows[in_bulk]}
    assert stored["reasons"][6] == ["invoice", "other"]
    assert stored["satisfaction"][7] is True
    assert stored["comment"][4] == answers["comment"]


def test_expanding_twice_saves_each_submission_once(wave: Wave) -> None:
    accepted(wave, 3)
    assert submissions_expand(batch_size=2) == {"saved": 3, "failed": 0}
    assert submissions_expand() == {}
    expand_submissions.apply()  # the task, as beat runs it
    assert Response.objects.count() == 3
    assert Answer.objects.count() == 3 * len(ANSWERS)
    assert set(SubmissionInbox.objects.values_list("status", flat=True)) == {"saved"}


def test_answered_in_the_browser_meanwhile_stores_nothing_more(wave: Wave) -> None:
    token = invite(wave)
    response = response_for_token(token=token)  # the browser's submit is under way
    assert submission_accept(token=token, answers=ANSWERS) == RECEIVED
    structure = questionnaire_structure(questionnaire=wave.questionnaire)
    response_submit(response_id=response.pk, structure=structure, answers={**ANSWERS, "nps": 1})
    assert submissions_expand() == {"already_answered": 1}
    assert Response.objects.get().draft["nps"] == 1
    assert Answer.objects.count() == len(ANSWERS)


def test_a_draft_opened_in_the_browser_is_the_response_that_is_saved(wave: Wave) -> None:
    token = invite(wave)
    draft = response_for_token(token=token)
    assert submission_accept(token=token, answers=ANSWERS) == RECEIVED
    assert submissions_expand() == {"saved": 1}
    assert Response.objects.get().pk == draft.pk
    draft.refresh_from_db()
    assert draft.status == ResponseStatus.SUBMITTED
    assert Answer.objects.filter(response=draft).count() == len(ANSWERS)


def test_a_link_opened_in_the_browser_during_the_batch_falls_back_one_by_one(wave: Wave) -> None:
    accepted(wave, 3)
    in_bulk = submissions._expand_in_bulk

    def browser_opens_one_first(rows: list[SubmissionInbox]) -> Any:
        # A browser request that found the link unanswered just before the API's submit: its
        # response now exists, and the bulk INSERT clashes.
        invitation = Invitation.objects.get(pk=rows[1].invitation_id)
        Response.objects.create(wave=wave, invitation=invitation)
        return in_bulk(rows)

    with mock.patch.object(submissions, "_expand_in_bulk", browser_opens_one_first):
        assert submissions_expand() == {"saved": 3}
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 3
    assert Answer.objects.count() == 3 * len(ANSWERS)


def test_a_failed_submission_is_kept_and_replaced_by_a_new_submit(wave: Wave) -> None:
    [token] = accepted(wave)
    SubmissionInbox.objects.update(answers={"contacted_cs": "yes"})  # a questionnaire changed
    assert submissions_expand() == {"saved": 0, "failed": 1}
    failed = SubmissionInbox.objects.get()
    assert failed.status == SubmissionStatus.FAILED
    assert "satisfaction" in failed.error
    assert not Response.objects.exists()
    assert submission_accept(token=token, answers=ANSWERS) == RECEIVED
    assert SubmissionInbox.objects.get().status == SubmissionStatus.PENDING
    assert submissions_expand() == {"saved": 1, "failed": 0}


def test_broker_down_the_submit_succeeds_and_the_sweep_saves_it(
    wave: Wave, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    celery_app.conf.task_always_eager = False
    monkeypatch.setattr(submissions, "_expansion_due", 0.0)
    down = KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch.object(expand_submissions, "apply_async", side_effect=down) as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        accepted(wave, 3)
    assert queued.call_count == 1  # then this process stops trying for a while
    assert SubmissionInbox.objects.filter(status=SubmissionStatus.PENDING).count() == 3
    assert not Response.objects.exists()
    assert "expand-submissions" in celery_app.conf.beat_schedule
    expand_submissions.apply()  # beat's sweep, once the broker is back
    assert Response.objects.count() == 3


def test_one_task_is_queued_for_the_submissions_a_process_accepts_in_a_second(
    wave: Wave, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    celery_app.conf.task_always_eager = False
    monkeypatch.setattr(submissions, "_expansion_due", 0.0)
    with (
        mock.patch.object(expand_submissions, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        accepted(wave, 5)
    queued.assert_called_once_with(kwargs={}, countdown=submissions.EXPANSION_DELAY, retry=False)


def test_erasing_a_panelist_saves_their_waiting_submission_first(wave: Wave) -> None:
    accepted(wave, gender="male", region="vestland", birth_year=1990)
    panelist = Invitation.objects.get().panelist
    assert panelist_export(panelist=panelist)["invitations"][0]["answers"] == ANSWERS
    panelist_erase(panelist=panelist)
    response = Response.objects.get()
    assert (response.gender, response.region, response.age_group) == ("male", "vestland", "30-44")
    assert Answer.objects.filter(response=response).count() == len(ANSWERS)
    panelist.refresh_from_db()
    assert (panelist.email, panelist.gender, panelist.birth_year) == (None, "", None)


def test_the_dashboard_shows_waiting_submissions_and_counts_them_once_saved(wave: Wave) -> None:
    accepted(wave, 2)
    waiting = selectors.wave_progress(wave=wave)
    assert (waiting.receiving, waiting.completed) == (2, 0)
    submissions_expand()
    saved = selectors.wave_progress(wave=wave)
    assert (saved.receiving, saved.completed, saved.started) == (0, 2, 2)


def test_no_reminder_for_a_submission_waiting_to_be_saved(wave: Wave) -> None:
    invite(wave)
    accepted(wave)
    Invitation.objects.update(
        status=InvitationStatus.SENT, sent_at=timezone.now() - timedelta(days=30)
    )
    assert reminders_due(wave=wave).count() == 1  # the one who did not answer


def test_a_catalog_change_reaches_the_api_within_a_second(monkeypatch: Any) -> None:
    monkeypatch.setattr(selectors, "_catalog_seen", (0.0, ""))
    first = selectors.catalog_version(reuse_for=1.0)
    with mock.patch.object(selectors, "safe_cache_get", return_value="newer") as read:
        assert selectors.catalog_version(reuse_for=1.0) == first  # within the second
        assert read.call_count == 0
        assert selectors.catalog_version() == "newer"  # everyone else asks every time
    assert selectors.catalog_changed() == selectors.catalog_version(reuse_for=1.0)


@pytest.mark.postgres  # prepared statements are PostgreSQL's; CI runs it (REQUIRE_SERVICES=1)
def test_the_submits_statements_are_prepared_once_per_connection(wave: Wave) -> None:
    """The hot path's statements are parsed and planned once per connection, not per submit."""
    accepted(wave, 3)  # the first reads the invitation; the next two take the one-INSERT path

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall() if "surveys_submissioninbox" in row[0]]

    assert len(prepared()) == 2  # the lookup-then-INSERT and the one-statement INSERT
    accepted(wave, 3)
    assert len(prepared()) == 2
    assert Response.objects.count() == 0  # stored for the worker, nothing expanded yet
    assert SubmissionInbox.objects.filter(status=SubmissionStatus.PENDING).count() == 6
