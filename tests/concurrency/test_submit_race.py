"""100 parallel submits of one invitation end with exactly one response and one set of answers,
in the browser and through the API (whose submissions a worker saves later, in bulk).

The controls show the races are real: without the row lock, parallel submits of one response
write its answers more than once (the database's unique constraint then rejects the extras);
without SKIP LOCKED, parallel expansions of the API's inbox take the same submissions.
"""

import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from unittest import mock

import pytest
from django.db import connections

from surveys.models import (
    Answer,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    SubmissionInbox,
    SubmissionStatus,
)
from surveys.selectors import questionnaire_structure
from surveys.services import responding, submissions
from tests.factories import CompanyFactory, WaveFactory, invite

COMPLETE = {
    "contacted_cs": "yes",
    "company": "fjordbanken",
    "channel": "phone",
    "contacted_before": "no",
    "satisfaction": 4,
    "resolved": "yes",
    "nps": 8,
    "preferred_channel": "phone",
}


def ready_to_submit() -> tuple[str, Response]:
    CompanyFactory(slug="fjordbanken")
    wave = WaveFactory()
    token = invite(wave)
    response = responding.response_for_token(token=token)
    Response.objects.filter(pk=response.pk).update(draft=COMPLETE, page=4)
    return token, response


class Browser:
    """One respondent's browser: its own cookies and CSRF token."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            NoRedirect(),
        )
        html = self.opener.open(url, timeout=30).read().decode()
        self.csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def submit(self) -> int:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf, "action": "submit"})
        try:
            with self.opener.open(self.url, data=body.encode(), timeout=60) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_hundred_parallel_submits_make_one_response(server_url: str) -> None:
    token, response = ready_to_submit()
    url = f"{server_url}/s/{token}/"
    with ThreadPoolExecutor(max_workers=20) as pool:
        browsers = list(pool.map(lambda _: Browser(url), range(100)))
    start = threading.Barrier(100)

    def go(browser: Browser) -> int:
        start.wait()
        return browser.submit()

    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = Counter(pool.map(go, browsers))

    assert set(statuses) <= {302, 200}, statuses
    assert Response.objects.count() == 1
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED
    assert Answer.objects.count() == len(COMPLETE)
    assert Invitation.objects.get().status == InvitationStatus.COMPLETED


def parallel_submits(response: Response, n: int) -> Counter[str]:
    structure = questionnaire_structure(questionnaire=response.wave.questionnaire)
    start = threading.Barrier(n)

    def submit(_: int) -> str:
        try:
            start.wait()
            responding.response_submit(response_id=response.pk, structure=structure)
            return "ok"
        except Exception as exc:  # the control counts whatever the race breaks
            return type(exc).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return Counter(pool.map(submit, range(n)))


@pytest.mark.django_db(transaction=True)
def test_parallel_service_submits_with_the_lock_all_succeed_once() -> None:
    _token, response = ready_to_submit()
    outcome = parallel_submits(response, 20)
    assert outcome == Counter({"ok": 20})
    assert Answer.objects.count() == len(COMPLETE)


@pytest.mark.django_db(transaction=True)
def test_control_without_the_lock_the_race_writes_twice() -> None:
    _token, response = ready_to_submit()
    unlocked = mock.patch.object(
        responding,
        "_locked_response",
        lambda pk: Response.objects.select_related("invitation__panelist").get(pk=pk),
    )
    with unlocked:
        outcome = parallel_submits(response, 20)
    assert outcome["IntegrityError"] >= 1, outcome


def test_hundred_parallel_api_submits_make_one_response(server_url: str) -> None:
    CompanyFactory(slug="fjordbanken")
    token = invite(WaveFactory())
    url = f"{server_url}/api/v1/respond/{token}/submit/"
    body = json.dumps({"answers": COMPLETE}).encode()
    start = threading.Barrier(100)

    def post(_: int) -> int:
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json"}
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = Counter(pool.map(post, range(100)))

    # 202 until the worker has saved it (eagerly, in the server, without Redis), then 200.
    assert set(statuses) <= {202, 200}, statuses
    assert SubmissionInbox.objects.count() == 1
    submissions.submissions_expand()  # what no worker has saved yet
    assert Response.objects.get().status == ResponseStatus.SUBMITTED
    assert Answer.objects.count() == len(COMPLETE)
    assert Invitation.objects.get().status == InvitationStatus.COMPLETED


def parallel_expansions(n: int) -> Counter[str]:
    start = threading.Barrier(n)

    def expand(_: int) -> Counter[str]:
        try:
            start.wait()
            return Counter(submissions.submissions_expand(batch_size=10))
        except Exception as exc:  # the control counts whatever the race breaks
            return Counter({type(exc).__name__: 1})
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return sum(pool.map(expand, range(n)), Counter())


def accepted_submissions(n: int) -> None:
    """``n`` submissions waiting in the inbox (no worker queued: here it would run eagerly)."""
    CompanyFactory(slug="fjordbanken")
    wave = WaveFactory()
    with mock.patch.object(submissions, "_queue_expansion", return_value=None):
        for _ in range(n):
            token = invite(wave)
            assert submissions.submission_accept(token=token, answers=COMPLETE) == "received"


@pytest.mark.django_db(transaction=True)
def test_parallel_expansions_save_each_submission_once() -> None:
    accepted_submissions(60)
    outcome = parallel_expansions(6)
    assert outcome["saved"] == 60, outcome
    assert set(outcome) <= {"saved", "failed"}
    assert outcome["failed"] == 0
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 60
    assert Answer.objects.count() == 60 * len(COMPLETE)
    assert set(SubmissionInbox.objects.values_list("status", flat=True)) == {"saved"}


@pytest.mark.django_db(transaction=True)
def test_control_without_skip_locked_expansions_take_the_same_submissions() -> None:
    accepted_submissions(60)

    def claim_without_locking(size: int, _ids: Any) -> list[SubmissionInbox]:
        return list(
            SubmissionInbox.objects.filter(status=SubmissionStatus.PENDING)
            .select_related("invitation__panelist")
            .order_by("id")[:size]
        )

    with mock.patch.object(submissions, "_claim", claim_without_locking):
        outcome = parallel_expansions(6)
    # Submissions handled more than once: found answered by a parallel expansion, or the race
    # broke one outright. The unique constraint still keeps one response per invitation.
    assert sum(outcome.values()) - outcome["failed"] > 60, outcome
    assert Response.objects.count() == 60
