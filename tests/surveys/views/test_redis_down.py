"""Redis down while respondents submit: every response is saved.

The cache and the broker point at a port where nothing listens; the respondent's pages and the
submit still work, and the work that would have been queued is logged, not lost with a 500.
"""

from typing import Any
from unittest import mock

import pytest
from rest_framework.test import APIClient

from kundeservice import tasks
from kundeservice.celery import app as celery_app
from kundeservice.models import Job, JobStatus
from kundeservice.roles import Role
from surveys.models import (
    Answer,
    Response,
    ResponseStatus,
    ResultSetStatus,
    SubmissionInbox,
    SubmissionStatus,
)
from surveys.services import submissions
from surveys.services.aggregation import aggregation_start
from surveys.services.exports import EXPORT_JOB
from surveys.tasks import aggregate_wave, expand_submissions
from tests.factories import CompanyFactory, UserFactory, WaveFactory, invite, poll_wave
from tests.surveys.api.test_respond_submit import ANSWERS
from tests.surveys.views.test_respondent import FULL

pytestmark = pytest.mark.django_db
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings: Any, monkeypatch: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    celery_app.conf.task_always_eager = False
    monkeypatch.setattr(celery_app.conf, "broker_url", DEAD_REDIS)
    # Connections an earlier test opened to the live Redis stay pooled: start new pools.
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)


def test_respondents_submit_while_redis_is_down(client: Any, redis_down: None) -> None:
    CompanyFactory(slug="fjordbanken")
    wave = WaveFactory()
    for _ in range(3):
        url = f"/s/{invite(wave)}/"
        assert client.get(url).status_code == 200
        for page in FULL:
            assert client.post(url, {**page, "action": "next"}).status_code == 302
        assert client.post(url, {"action": "submit"}).status_code == 302
        client.cookies.clear()
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 3
    assert Answer.objects.count() == 3 * sum(len(page) for page in FULL)


def test_api_submits_while_redis_is_down_are_saved_by_the_sweep(
    redis_down: None, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The API stores each submission before it answers 202; queueing the worker fails (once:
    the process then stops trying for a while) and beat's sweep saves them afterwards."""
    CompanyFactory(slug="fjordbanken")
    wave = WaveFactory()
    monkeypatch.setattr(submissions, "_expansion_due", 0.0)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            accepted = APIClient().post(
                f"/api/v1/respond/{invite(wave)}/submit/", {"answers": ANSWERS}, format="json"
            )
        assert accepted.status_code == 202
    assert SubmissionInbox.objects.filter(status=SubmissionStatus.PENDING).count() == 3
    expand_submissions.apply()  # beat's sweep, once Redis is back
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 3
    assert Answer.objects.count() == 3 * len(ANSWERS)


def test_an_open_poll_is_answered_and_shown_while_redis_is_down(
    client: Any, redis_down: None
) -> None:
    """The rate limit and the result cache both live in Redis: without it neither blocks."""
    CompanyFactory(slug="fjordbanken")
    poll_wave(open_slug="nede", show_results=True)
    url = "/p/nede/"
    assert client.get(url).status_code == 200
    for page in FULL:
        assert client.post(url, {**page, "action": "next"}).status_code == 302
    done = client.post(url, {"action": "submit"})
    assert done.status_code == 302
    assert "<table" in client.get(done["Location"]).content.decode()
    assert Response.objects.get().status == ResponseStatus.SUBMITTED


@pytest.fixture
def queue_down(redis_down: None, monkeypatch: Any) -> None:
    """Redis down as production sees it: the broker and the result store are the same server."""
    monkeypatch.setattr(celery_app.conf, "result_backend", DEAD_REDIS)
    # Made again from the setting (and the one in use restored afterwards).
    monkeypatch.setattr(celery_app, "_backend_cache", None)
    monkeypatch.setattr(celery_app._local, "backend", None, raising=False)
    monkeypatch.setattr(tasks, "_broker_down_until", 0.0)


def test_staff_start_an_export_while_redis_is_down_and_are_told_it_did_not_start(
    client: Any, queue_down: None, django_capture_on_commit_callbacks: Any
) -> None:
    """It raised after 19 s of retries to reach the result store (the page answered 500), and
    the job would have waited for ever: nothing queues it again."""
    wave = WaveFactory()
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/staff/waves/{wave.pk}/export/", {"format": "csv"})
    assert started.status_code == 302
    job = Job.objects.get(kind=EXPORT_JOB)
    assert job.status == JobStatus.FAILED
    assert job.message == "Oppgavekøen svarer ikke, så dette ble ikke startet. Prøv igjen om litt."
    page = client.get(f"/staff/waves/{wave.pk}/").content.decode()
    assert "Oppgavekøen svarer ikke" in page


def test_an_aggregation_that_cannot_be_queued_fails_at_once_and_the_next_waits_no_more(
    queue_down: None, django_capture_on_commit_callbacks: Any
) -> None:
    wave = WaveFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = aggregation_start(wave=wave)
    first.refresh_from_db()
    assert first.status == ResultSetStatus.FAILED
    assert first.job is not None
    assert first.job.status == JobStatus.FAILED
    assert "Oppgavekøen svarer ikke" in first.error
    # The broker was just found down: this process does not spend seconds finding it again.
    with (
        mock.patch.object(aggregate_wave, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        second = aggregation_start(wave=wave)
    queued.assert_not_called()
    second.refresh_from_db()
    assert second.status == ResultSetStatus.FAILED
