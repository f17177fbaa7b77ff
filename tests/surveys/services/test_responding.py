"""Submitting a whole questionnaire at once (the API's path): answers in one bulk INSERT inside
one transaction, a small fixed number of queries, and nothing stored when answers are missing."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from surveys.models import Answer, Invitation, InvitationStatus, Response, ResponseStatus
from surveys.selectors import questionnaire_structure
from surveys.services.responding import (
    IncompleteResponse,
    response_answer_all,
    response_for_token,
)
from tests.factories import CompanyFactory, WaveFactory, invite

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


def test_whole_questionnaire_is_stored_with_one_insert_of_answers(token: str) -> None:
    response = response_for_token(token=token)
    structure = questionnaire_structure(questionnaire=response.wave.questionnaire)
    with CaptureQueriesContext(connection) as queries:
        response_answer_all(response=response, structure=structure, answers=ANSWERS)
    answer_inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "surveys_answer"')]
    assert len(answer_inserts) == 1
    stored = Response.objects.get()
    assert stored.status == ResponseStatus.SUBMITTED
    assert stored.draft == ANSWERS
    assert stored.page == len(structure.sections)
    assert Answer.objects.filter(response=stored).count() == len(ANSWERS)
    invitation = Invitation.objects.get()
    assert invitation.status == InvitationStatus.COMPLETED
    assert invitation.opened_at is not None


def test_incomplete_answers_are_refused_and_nothing_is_stored(token: str) -> None:
    response = response_for_token(token=token)
    structure = questionnaire_structure(questionnaire=response.wave.questionnaire)
    partial = {"contacted_cs": "yes", "company": "fjordbanken"}
    with pytest.raises(IncompleteResponse) as caught:
        response_answer_all(response=response, structure=structure, answers=partial)
    assert {"channel", "satisfaction", "nps"} <= set(caught.value.errors)
    stored = Response.objects.get()
    assert (stored.status, stored.draft, stored.page) == (ResponseStatus.DRAFT, {}, 0)
    assert not Answer.objects.exists()
    assert Invitation.objects.get().status == InvitationStatus.OPENED


def test_api_submit_stays_within_its_query_budget(
    token: str, django_assert_max_num_queries: Any
) -> None:
    client = APIClient()
    url = f"/api/v1/respond/{token}/submit/"
    client.post(url, {"answers": {"contacted_cs": "yes"}}, format="json")  # opens it: a draft
    # Find the invitation; then in one transaction (a savepoint here) lock the draft, one INSERT
    # of every answer, update the response and the invitation. The structure comes from cache.
    with django_assert_max_num_queries(7):
        submitted = client.post(url, {"answers": ANSWERS}, format="json")
    assert submitted.status_code == 201, submitted.json()
    assert Answer.objects.count() == len(ANSWERS)
