"""Workers SIGKILLed in the middle of their work: an aggregation is told apart from a merely
slow one by its heartbeat, given up within seconds of its worker's death and redelivered; an
expansion of accepted submissions loses nothing and saves nobody twice."""

import os
import signal
import time
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.db.models import Count

from kundeservice.models import Job
from surveys.models import (
    Response,
    ResponseStatus,
    ResultSet,
    ResultSetStatus,
    SubmissionInbox,
    SubmissionStatus,
)
from surveys.services import submissions
from surveys.services.aggregation import aggregation_start, aggregations_redeliver_stalled
from surveys.services.submissions import RECEIVED
from surveys.tasks import expand_submissions
from tests.conftest import database_url_for_test_db
from tests.factories import CompanyFactory, WaveFactory, invite
from tests.faults.services import wait_for
from tests.integration.conftest import start_worker, stop_worker
from tests.surveys.api.test_respond_submit import ANSWERS
from tests.surveys.services.test_aggregation import golden_wave

STALLED_AFTER = 3.0
SUBMITTED = 40


@pytest.fixture
def heartbeat(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """Workers started from here beat every half second and pause 4 s after each step: longer
    than an aggregation may go untouched before it counts as stalled."""
    monkeypatch.setenv("AGGREGATION_HEARTBEAT", "0.5")
    monkeypatch.setenv("AGGREGATION_STEP_DELAY", "4")
    settings.AGGREGATION_STALLED_AFTER = STALLED_AFTER


def test_a_killed_aggregation_is_redelivered_within_seconds_and_a_slow_one_is_left_alone(
    heartbeat: None, real_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wave = golden_wave()
    run = aggregation_start(wave=wave)  # through Redis to the real worker
    wait_for(lambda: Job.objects.get(pk=run.job_id).done >= 1, 60, "the first step")
    time.sleep(STALLED_AFTER + 1)  # inside a 4 s step: the job's progress has not moved

    # Alive: a second start finds the run under way, the sweep leaves it alone.
    assert aggregation_start(wave=wave).pk == run.pk
    assert aggregations_redeliver_stalled() == []

    os.kill(real_worker.pid, signal.SIGKILL)
    real_worker.wait(timeout=10)
    time.sleep(STALLED_AFTER + 0.5)
    # Dead: the sweep queues the set again at once (not after the broker's hour), and a fresh
    # worker completes it.
    assert aggregations_redeliver_stalled() == [run.pk]
    monkeypatch.setenv("AGGREGATION_STEP_DELAY", "0")
    worker = start_worker()
    try:
        wait_for(
            lambda: ResultSet.objects.get(pk=run.pk).status != ResultSetStatus.RUNNING,
            60,
            "the redelivered aggregation",
        )
    finally:
        stop_worker(worker)
    run.refresh_from_db()
    assert run.status == ResultSetStatus.COMPLETE, run.error
    assert run.is_current
    assert ResultSet.objects.filter(wave=wave).count() == 1  # redelivered, not started twice


def waiting_on_responses() -> bool:
    """Is another connection waiting for the lock on the responses table?"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_locks WHERE relation = 'surveys_response'::regclass "
            "AND NOT granted AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone() is not None


def holding_inbox_rows() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_locks WHERE relation = 'surveys_submissioninbox'::regclass "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone() is not None


def test_a_worker_killed_mid_expansion_loses_no_submission(
    real_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker is held inside its expansion transaction (the responses table locked from
    here), killed there, and a fresh worker's sweep saves every submission exactly once."""
    monkeypatch.setattr(submissions, "_queue_expansion", lambda: None)
    CompanyFactory(slug="fjordbanken")
    wave = WaveFactory()
    for _ in range(SUBMITTED):
        assert submissions.submission_accept(token=invite(wave), answers=ANSWERS) == RECEIVED

    with psycopg.connect(database_url_for_test_db(), autocommit=False) as blocker:
        blocker.execute("LOCK TABLE surveys_response IN SHARE ROW EXCLUSIVE MODE")
        expand_submissions.delay()
        wait_for(waiting_on_responses, 60, "the worker to be inside its expansion")
        os.kill(real_worker.pid, signal.SIGKILL)
        real_worker.wait(timeout=10)
        blocker.rollback()
    # The dead worker's transaction ends (rolled back) once its server process notices.
    wait_for(lambda: not holding_inbox_rows(), 60, "the killed transaction to end")
    assert Response.objects.filter(wave=wave).count() == 0
    assert SubmissionInbox.objects.filter(status=SubmissionStatus.PENDING).count() == SUBMITTED

    worker = start_worker()
    try:
        expand_submissions.delay()  # what beat's sweep does every minute
        wait_for(
            lambda: (
                Response.objects.filter(wave=wave, status=ResponseStatus.SUBMITTED).count()
                == SUBMITTED
            ),
            60,
            "the sweep to save every submission",
        )
    finally:
        stop_worker(worker)
    assert not SubmissionInbox.objects.filter(status=SubmissionStatus.PENDING).exists()
    per_invitation = Response.objects.filter(wave=wave).values("invitation").annotate(n=Count("id"))
    assert {row["n"] for row in per_invitation} == {1}
