"""The observer API (own assignments only, no points) and the QA review API."""

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from kundeservice.roles import Role
from surveys.models import AssignmentStatus, ContactAttempt, Response, ResponseStatus
from tests.factories import (
    EVALUATION_BEST,
    AssignmentFactory,
    ObserverFactory,
    UserFactory,
    in_week,
    record_answered,
    submitted_report,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/fieldwork/assignments/"


def api_as(user: Any) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def observer() -> Any:
    return ObserverFactory()


@pytest.fixture
def api(observer: Any) -> APIClient:
    return api_as(observer.user)


def test_observers_list_only_their_own_assignments(
    api: APIClient, observer: Any, django_assert_max_num_queries: Any
) -> None:
    mine = AssignmentFactory(observer=observer, scenario="Spør om flytting")
    theirs = AssignmentFactory()
    with django_assert_max_num_queries(10):
        listed = api.get(BASE)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [mine.pk]
    row = listed.json()["results"][0]
    assert row["scenario"] == "Spør om flytting"
    assert (row["week_starts"], row["week_ends"], row["wait_limit"]) == (
        "2026-01-05",
        "2026-01-11",
        "5 minutes",
    )
    assert api.get(f"{BASE}{theirs.pk}/").status_code == 404
    refused = api.post(
        f"{BASE}{theirs.pk}/attempts/",
        {"started_at": in_week(theirs).isoformat(), "result": "no_answer"},
        format="json",
    )
    assert refused.status_code == 404
    assert api.get(f"{BASE}{theirs.pk}/evaluation/").status_code == 404
    assert not ContactAttempt.objects.exists()
    assert api.get(BASE, {"status": "nonsense"}).status_code == 400


def test_record_attempts_with_messages_per_field(api: APIClient, observer: Any) -> None:
    assignment = AssignmentFactory(observer=observer)
    started = in_week(assignment, hour=10)
    late = api.post(
        f"{BASE}{assignment.pk}/attempts/",
        {
            "started_at": started.isoformat(),
            "result": "answered",
            "answered_at": started.replace(minute=9).isoformat(),
        },
        format="json",
    )
    assert late.status_code == 400
    assert "record this attempt as no answer" in late.json()["answered_at"][0]
    assert not ContactAttempt.objects.exists()

    answered = api.post(
        f"{BASE}{assignment.pk}/attempts/",
        {
            "started_at": started.isoformat(),
            "result": "answered",
            "answered_at": started.replace(minute=3).isoformat(),
        },
        format="json",
    )
    assert answered.status_code == 201
    body = answered.json()
    assert (body["status"], body["outcome"]) == ("in_progress", "answered")
    assert body["attempts"][0]["wait_minutes"] == 3


def test_evaluation_form_has_no_points_and_put_is_all_or_nothing(
    api: APIClient, observer: Any
) -> None:
    assignment = AssignmentFactory(observer=observer)
    record_answered(assignment)
    form = api.get(f"{BASE}{assignment.pk}/evaluation/")
    assert form.status_code == 200
    assert form.json()["editable"] is True
    assert [s["key"] for s in form.json()["form"]] == ["availability", "agent", "needs", "overall"]
    assert "points" not in json.dumps(form.json())
    assert "score" not in json.dumps(api.get(f"{BASE}{assignment.pk}/").json())

    bad = api.put(
        f"{BASE}{assignment.pk}/evaluation/",
        {"answers": {"valued": "yes", "csat": 9}},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["csat"] == ["Choose a whole number from 1 to 5."]
    assert Response.objects.get().draft == {}

    good = api.put(
        f"{BASE}{assignment.pk}/evaluation/",
        {"answers": {"valued": "yes", "would_buy": "__na__", "csat": 4}},
        format="json",
    )
    assert good.status_code == 200
    assert good.json()["answers"] == {"valued": "yes", "would_buy": "__na__", "csat": 4}


def test_submit_incomplete_then_complete_then_again(api: APIClient, observer: Any) -> None:
    assignment = AssignmentFactory(observer=observer)
    record_answered(assignment)
    url = f"{BASE}{assignment.pk}/submit/"
    incomplete = api.post(url, {"answers": {"valued": "yes"}}, format="json")
    assert incomplete.status_code == 400
    assert incomplete.json()["polite"] == ["This question needs an answer."]

    done = api.post(url, {"answers": EVALUATION_BEST}, format="json")
    assert (done.status_code, done.json()) == (200, {"status": "submitted"})
    again = api.post(url, {}, format="json")
    assert (again.status_code, again.json()) == (200, {"status": "submitted"})
    assert Response.objects.get().status == ResponseStatus.SUBMITTED


def test_qa_queue_detail_approve_and_return(django_capture_on_commit_callbacks: Any) -> None:
    qa = UserFactory(roles=[Role.QA_REVIEWER])
    api = api_as(qa)
    first = submitted_report(polite="ok")
    second = submitted_report()
    own = submitted_report(AssignmentFactory(observer=ObserverFactory(user=qa)))

    queue = api.get("/api/v1/reviews/")
    assert [row["id"] for row in queue.json()["results"]] == [first.pk, second.pk]
    assert api.get("/api/v1/reviews/", {"wave": "x"}).status_code == 400

    report = api.get(f"/api/v1/reviews/{first.pk}/").json()
    polite = next(a for a in report["answers"] if a["question"] == "polite")
    assert (polite["answer"], polite["points_earned"], polite["points_possible"]) == (
        "Fairly",
        2,
        4,
    )
    assert report["score"] == pytest.approx(Response.objects.get(assignment=first).score)
    assert [e["to_status"] for e in report["events"]] == ["in_progress", "submitted"]

    approved = api.post(f"/api/v1/reviews/{first.pk}/approve/")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"

    no_reason = api.post(f"/api/v1/reviews/{second.pk}/return/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        returned = api.post(
            f"/api/v1/reviews/{second.pk}/return/", {"reason": "Mangler kommentar."}, format="json"
        )
    assert returned.status_code == 200
    assert returned.json()["return_reason"] == "Mangler kommentar."
    second.refresh_from_db()
    assert second.status == AssignmentStatus.RETURNED

    refused = api.post(f"/api/v1/reviews/{own.pk}/approve/")
    assert refused.status_code == 403
    assert "another reviewer must review it" in refused.json()["detail"]


def test_observers_do_not_review_and_staff_admins_do_not_observe(observer: Any) -> None:
    assert api_as(observer.user).get("/api/v1/reviews/").status_code == 403
    admin = api_as(UserFactory(roles=[Role.STAFF_ADMIN]))
    assert admin.get(BASE).status_code == 403
    assert admin.get("/api/v1/reviews/").status_code == 200
