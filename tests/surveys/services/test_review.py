"""QA review: approve or return with a reason (mailed to the observer), never one's own report,
every transition logged; a returned report is fixed and resubmitted."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import translation

from kundeservice.errors import ConflictError, DomainError
from kundeservice.roles import Role
from surveys.models import Answer, AssignmentStatus, Response, ResponseStatus, ReviewEvent
from surveys.services.fieldwork import attempt_record, evaluation_save, evaluation_submit
from surveys.services.review import OwnReport, report_approve, report_return
from surveys.tasks import mail_report_returned
from tests.factories import (
    EVALUATION_BEST,
    AssignmentFactory,
    UserFactory,
    in_week,
    submitted_report,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def reviewer() -> Any:
    return UserFactory(username="prosjektleder", roles=[Role.QA_REVIEWER])


def test_approving_makes_the_contact_count(reviewer: Any) -> None:
    assignment = submitted_report()
    report_approve(assignment=assignment, reviewer=reviewer)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.APPROVED
    report = Response.objects.get(assignment=assignment)
    assert report.status == ResponseStatus.APPROVED
    assert report.score == pytest.approx(0.95 * 100 + 0.05 * 80)  # waited 1 of 5 minutes
    event = ReviewEvent.objects.latest("id")
    assert (event.from_status, event.to_status, event.actor) == ("submitted", "approved", reviewer)

    report_approve(assignment=assignment, reviewer=reviewer)  # a double click changes nothing
    assert ReviewEvent.objects.filter(to_status="approved").count() == 1


def test_returning_needs_a_reason_and_changes_nothing_without_one(reviewer: Any) -> None:
    assignment = submitted_report()
    with pytest.raises(DomainError) as missing:
        report_return(assignment=assignment, reviewer=reviewer, reason="  ")
    assert missing.value.message_dict == {
        "reason": ["Say why the report is returned, so the observer knows what to fix."]
    }
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED
    assert not ReviewEvent.objects.filter(to_status="returned").exists()


def test_a_returned_report_is_mailed_fixed_and_resubmitted(
    reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assignment = submitted_report(valued="no")
    first_score = Response.objects.get(assignment=assignment).score
    with django_capture_on_commit_callbacks(execute=True):
        report_return(
            assignment=assignment,
            reviewer=reviewer,
            reason="Du svarte nei på verdsatt, men skriver at kundebehandleren var hyggelig.",
        )
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.RETURNED
    assert assignment.return_reason.startswith("Du svarte nei")
    assert Response.objects.get(assignment=assignment).status == ResponseStatus.RETURNED
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [assignment.observer.user.email]
    assert assignment.company.name in message.subject
    assert "Du svarte nei på verdsatt" in message.body
    assert f"/observer/assignments/{assignment.pk}/" in message.body

    observer = assignment.observer.user
    evaluation_save(assignment=assignment, user=observer, answers={**EVALUATION_BEST})
    fixed = evaluation_submit(assignment=assignment, user=observer)
    assert fixed.status == ResponseStatus.SUBMITTED
    assert first_score is not None
    assert fixed.score is not None
    assert fixed.score > first_score
    assert Answer.objects.filter(response=fixed).count() == 9
    assert Answer.objects.get(response=fixed, question__key="valued").value_text == "yes"
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED
    assert assignment.return_reason == ""

    report_approve(assignment=assignment, reviewer=reviewer)
    history = list(
        ReviewEvent.objects.filter(assignment=assignment).values_list(
            "from_status", "to_status", "actor__username"
        )
    )
    assert history == [
        ("planned", "in_progress", observer.username),
        ("in_progress", "submitted", observer.username),
        ("submitted", "returned", "prosjektleder"),
        ("returned", "submitted", observer.username),
        ("submitted", "approved", "prosjektleder"),
    ]
    assert ReviewEvent.objects.get(to_status="returned").reason.startswith("Du svarte nei")


def test_nobody_reviews_a_report_they_made_as_observer() -> None:
    assignment = submitted_report()
    both = assignment.observer.user
    both.groups.add(Group.objects.get_or_create(name=Role.QA_REVIEWER)[0])
    with pytest.raises(OwnReport):
        report_approve(assignment=assignment, reviewer=both)
    with pytest.raises(OwnReport):
        report_return(assignment=assignment, reviewer=both, reason="Egen rapport")
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED


def test_only_submitted_reports_are_reviewed(reviewer: Any) -> None:
    assignment = AssignmentFactory()
    with pytest.raises(ConflictError, match="Only submitted reports"):
        report_approve(assignment=assignment, reviewer=reviewer)


def test_a_not_answered_contact_is_approved_not_returned(reviewer: Any) -> None:
    assignment = AssignmentFactory()
    for day in (0, 1):
        attempt_record(
            assignment=assignment,
            user=assignment.observer.user,
            started_at=in_week(assignment, day=day),
            result="no_answer",
        )
    with pytest.raises(ConflictError, match="never answered"):
        report_return(assignment=assignment, reviewer=reviewer, reason="Ring igjen")
    report_approve(assignment=assignment, reviewer=reviewer)
    report = Response.objects.get(assignment=assignment)
    assert (report.status, report.score) == (ResponseStatus.APPROVED, 0)


def test_the_return_mail_is_skipped_once_the_report_is_resubmitted(reviewer: Any) -> None:
    assignment = submitted_report()
    report_return(assignment=assignment, reviewer=reviewer, reason="Sjekk svaret om løsning.")
    event = ReviewEvent.objects.get(to_status="returned")
    evaluation_submit(assignment=assignment, user=assignment.observer.user)
    mail.outbox.clear()
    assert mail_report_returned.delay(event_id=event.pk).get() == {"skipped": "resubmitted"}
    assert mail.outbox == []
