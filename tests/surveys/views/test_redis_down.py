"""Redis down while respondents submit: every response is saved.

The cache and the broker point at a port where nothing listens; the respondent's pages and the
submit still work, and the work that would have been queued is logged, not lost with a 500.
"""

from typing import Any

import pytest
from rest_framework.test import APIClient

from kundeservice.celery import app as celery_app
from surveys.models import Answer, Response, ResponseStatus, SubmissionInbox, SubmissionStatus
from surveys.services import submissions
from surveys.tasks import expand_submissions
from tests.factories import CompanyFactory, WaveFactory, invite, poll_wave
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
