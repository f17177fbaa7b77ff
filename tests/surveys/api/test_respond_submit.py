"""The respondent's whole-questionnaire submit: accepted with one INSERT (202), saved as a
response by the worker, refused with every message when the answers are wrong."""

from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.models import (
    Answer,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    SubmissionInbox,
    SubmissionStatus,
    WaveStatus,
)
from surveys.services import submissions
from surveys.services.responding import token_hash
from surveys.services.submissions import submissions_expand
from tests.factories import CompanyFactory, PanelistFactory, WaveFactory, invite

pytestmark = pytest.mark.django_db

ANSWERS: dict[str, Any] = {
    "contacted_cs": "yes",
    "company": "fjordbanken",
    "channel": "phone",
    "contacted_before": "no",
    "satisfaction": 5,
    "resolved": "partly",
    "must_contact_again": "no",
    "wait_minutes": 4,
    "nps": 8,
    "preferred_channel": "chat",
    "comment": "Rask og hyggelig.",
}


@pytest.fixture
def token() -> str:
    CompanyFactory(slug="fjordbanken")
    return invite(WaveFactory())


def submit(token: str, body: Any, **extra: Any) -> Any:
    return APIClient().post(f"/api/v1/respond/{token}/submit/", body, format="json", **extra)


def test_accepted_at_once_and_a_response_once_the_worker_has_run(token: str) -> None:
    accepted = submit(token, {"answers": ANSWERS})
    assert (accepted.status_code, accepted.json()) == (202, {"status": "received"})
    assert not Response.objects.exists()  # nothing but the inbox row yet
    assert SubmissionInbox.objects.get().answers == ANSWERS

    assert submissions_expand() == {"saved": 1, "failed": 0}

    response = Response.objects.get()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.draft == ANSWERS
    assert (response.gender, response.region, response.age_group) == ("female", "oslo", "45-59")
    assert response.company is not None
    assert response.channel == "phone"
    assert Answer.objects.filter(response=response).count() == len(ANSWERS)
    invitation = Invitation.objects.get()
    assert (invitation.status, invitation.completed_at is not None) == (
        InvitationStatus.COMPLETED,
        True,
    )
    assert SubmissionInbox.objects.get().status == SubmissionStatus.SAVED
    again = submit(token, {"answers": ANSWERS})
    assert (again.status_code, again.json()) == (200, {"status": "submitted"})


def test_the_worker_is_queued_after_commit(
    token: str, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert submit(token, {"answers": ANSWERS}).status_code == 202
    # The request queues the expansion; the expansion (eager here) queues its webhook dispatch.
    assert [c.__name__ for c in callbacks] == ["_queue_expansion", "_queue_dispatch"]
    assert Response.objects.get().status == ResponseStatus.SUBMITTED  # eager in tests


def test_submitting_again_and_again_makes_one_response(token: str) -> None:
    for answers in (ANSWERS, {**ANSWERS, "nps": 2}, {"nps": "eleven"}):
        retried = submit(token, {"answers": answers})
        assert (retried.status_code, retried.json()) == (202, {"status": "received"})
    submissions_expand()
    submissions_expand()
    assert submit(token, {"answers": ANSWERS}).json() == {"status": "submitted"}
    assert Response.objects.count() == 1
    assert Response.objects.get().draft["nps"] == 8  # the first submit counts
    assert Answer.objects.count() == len(ANSWERS)


def test_wrong_answers_are_400_in_the_respondents_language_and_store_nothing() -> None:
    token = invite(WaveFactory(), PanelistFactory(language="en"))
    refused = submit(
        token,
        {"answers": {**ANSWERS, "satisfaction": 9, "colour": "blue", "nps": True}},
        HTTP_ACCEPT_LANGUAGE="nb",
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["satisfaction"] == "Choose a whole number from 1 to 6."
    assert body["colour"] == "There is no such question."
    assert "nps" in body
    assert not SubmissionInbox.objects.exists()
    assert not Response.objects.exists()
    assert Invitation.objects.get().status == InvitationStatus.PENDING


def test_missing_required_answers_are_named(token: str) -> None:
    refused = submit(token, {"answers": {"contacted_cs": "yes", "company": "fjordbanken"}})
    assert refused.status_code == 400
    assert {"channel", "satisfaction", "nps"} <= set(refused.json())
    assert not SubmissionInbox.objects.exists()


def test_answers_to_hidden_questions_are_dropped(token: str) -> None:
    answers = {**ANSWERS, "resolved": "yes"}  # must_contact_again is shown only when not resolved
    assert submit(token, {"answers": answers}).status_code == 202
    assert "must_contact_again" not in SubmissionInbox.objects.get().answers


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"answers": "all good"}, 400),
        ({"answers": [1, 2]}, 400),
        ([], 400),
    ],
)
def test_a_body_without_an_answers_object_is_400(token: str, body: Any, status: int) -> None:
    refused = submit(token, body)
    assert refused.status_code == status
    assert "answers" in refused.json()
    assert not SubmissionInbox.objects.exists()


def test_malformed_json_and_other_media_types_are_refused(token: str) -> None:
    url = f"/api/v1/respond/{token}/submit/"
    client = APIClient()
    broken = client.post(url, "{not json", content_type="application/json")
    assert broken.status_code == 400
    assert "detail" in broken.json()
    form = client.post(url, {"answers": "x"})
    assert form.status_code == 415
    assert "detail" in form.json()
    assert client.get(url).status_code == 405
    assert not SubmissionInbox.objects.exists()


def test_unknown_closed_and_expired_links_keep_their_errors(token: str) -> None:
    unknown = submit("nope", {"answers": ANSWERS})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown")
    Invitation.objects.update(expires_at=timezone.now() - timezone.timedelta(days=1))
    expired = submit(token, {"answers": ANSWERS})
    assert (expired.status_code, expired.json()["code"]) == (409, "expired")
    closed_token = invite(WaveFactory(status=WaveStatus.CLOSED))
    closed = submit(closed_token, {"answers": ANSWERS})
    assert (closed.status_code, closed.json()["code"]) == (409, "expired")
    assert not SubmissionInbox.objects.exists()


def test_a_screened_out_respondent_is_saved_as_screened_out(token: str) -> None:
    assert submit(token, {"answers": {**ANSWERS, "contacted_cs": "no"}}).status_code == 202
    submissions_expand()
    assert Response.objects.get().status == ResponseStatus.SCREENED_OUT
    assert not Answer.objects.exists()
    assert Invitation.objects.get().status == InvitationStatus.SCREENED_OUT
    assert submit(token, {"answers": ANSWERS}).json() == {"status": "screened_out"}


def test_the_common_case_is_one_statement(token: str, django_assert_num_queries: Any) -> None:
    submit(invite(Invitation.objects.get().wave), {"answers": ANSWERS})  # this version, seen
    # One INSERT that checks the link in SQL; the structure comes from the process's cache.
    with django_assert_num_queries(1):
        accepted = submit(token, {"answers": ANSWERS})
    assert accepted.status_code == 202
    assert SubmissionInbox.objects.count() == 2


def test_a_version_not_seen_yet_reads_the_invitation_first(
    token: str, monkeypatch: Any, django_assert_max_num_queries: Any
) -> None:
    monkeypatch.setattr(submissions, "_last_version", None)
    submit(invite(Invitation.objects.get().wave), {"answers": ANSWERS})  # warms the caches
    monkeypatch.setattr(submissions, "_last_version", None)
    # One narrow SELECT of the invitation (with its wave and questionnaire), one INSERT.
    with django_assert_max_num_queries(2):
        assert submit(token, {"answers": ANSWERS}).status_code == 202


def test_the_one_statement_path_keeps_every_rule(token: str) -> None:
    wave = Invitation.objects.get().wave
    assert submit(invite(wave), {"answers": ANSWERS}).status_code == 202  # the version is seen
    closed = invite(WaveFactory(questionnaire=wave.questionnaire, status=WaveStatus.CLOSED))
    assert submit(closed, {"answers": ANSWERS}).json()["code"] == "expired"
    assert submit("nope", {"answers": ANSWERS}).status_code == 404
    assert submit(token, {"answers": {**ANSWERS, "nps": 11}}).status_code == 400
    assert submit(token, {"answers": ANSWERS}).status_code == 202
    assert submit(token, {"answers": {**ANSWERS, "nps": 1}}).status_code == 202  # a repeat
    assert SubmissionInbox.objects.get(invitation__token_hash=token_hash(token)).answers == ANSWERS
    submissions_expand()
    assert submit(token, {"answers": ANSWERS}).json() == {"status": "submitted"}
    other_version = invite(WaveFactory())
    assert submit(other_version, {"answers": ANSWERS}).status_code == 202
    expiring = invite(wave)
    Invitation.objects.filter(token_hash=token_hash(expiring)).update(
        expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert submit(expiring, {"answers": ANSWERS}).json()["code"] == "expired"
