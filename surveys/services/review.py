"""QA review of observer reports: approve, or return with a reason for the observer to fix.

Only approved contacts count in results, so the report's ``Response`` follows the assignment's
status. A reviewer never reviews a contact they made themselves as observer (one person may hold
both roles). Every decision is logged as a ``ReviewEvent``; a return is mailed to the observer
after the transaction commits.
"""

from typing import Any

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kundeservice.errors import ConflictError, DomainError
from kundeservice.tasks import enqueue_on_commit
from surveys.models import (
    Assignment,
    AssignmentStatus,
    ContactOutcome,
    Response,
    ResponseStatus,
    ReviewEvent,
)
from surveys.services.fieldwork import User, log_transition
from surveys.webhook_events import RESPONSE_SAVED
from webhooks.services.events import webhook_event_emit

MAX_REASON = 2000


class OwnReport(DomainError):
    """The reviewer made this contact as observer."""

    status_code = 403


def report_approve(*, assignment: Assignment, reviewer: User) -> Assignment:
    """Approve a submitted report: from now on the contact counts in results. Approving an
    approved report again changes nothing."""
    with transaction.atomic():
        locked = _locked(assignment)
        _check_reviewer(locked, reviewer)
        if locked.status == AssignmentStatus.APPROVED:
            return locked
        _check_submitted(locked)
        log_transition(assignment=locked, to=AssignmentStatus.APPROVED, actor=reviewer)
        locked.save(update_fields=["status", "updated_at"])
        Response.objects.filter(assignment=locked).update(status=ResponseStatus.APPROVED)
        report = Response.objects.select_related("wave", "company").get(assignment=locked)
        webhook_event_emit(event=RESPONSE_SAVED, subject=report)
    assignment.status = locked.status
    return locked


def report_return(*, assignment: Assignment, reviewer: User, reason: str) -> Assignment:
    """Send a submitted report back to its observer with ``reason``; they are told by e-mail and
    in the portal, fix the evaluation and submit again."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            {"reason": [_("Say why the report is returned, so the observer knows what to fix.")]},
            code="reason",
        )
    if len(reason) > MAX_REASON:
        raise DomainError(
            {"reason": [_("Keep the reason under %(n)d characters.") % {"n": MAX_REASON}]},
            code="reason",
        )
    with transaction.atomic():
        locked = _locked(assignment)
        _check_reviewer(locked, reviewer)
        _check_submitted(locked)
        if locked.outcome != ContactOutcome.ANSWERED:
            raise ConflictError(
                _(
                    "A contact that was never answered has no evaluation to fix: approve it, "
                    "or ask staff to plan the contact again."
                ),
                code="not_answered",
            )
        event = log_transition(
            assignment=locked, to=AssignmentStatus.RETURNED, actor=reviewer, reason=reason
        )
        locked.return_reason = reason
        locked.save(update_fields=["status", "return_reason", "updated_at"])
        Response.objects.filter(assignment=locked).update(status=ResponseStatus.RETURNED)
        from surveys.tasks import mail_report_returned

        enqueue_on_commit(mail_report_returned, event_id=event.pk)
    assignment.status = locked.status
    assignment.return_reason = locked.return_reason
    return locked


def report_returned_mail(*, event_id: int) -> dict[str, Any]:
    """Mail the observer that their report came back, with the reason and a link. Skipped when
    the report has moved on since (resubmitted) or the observer has no e-mail address."""
    event = (
        ReviewEvent.objects.select_related(
            "assignment__observer__user", "assignment__company", "assignment__wave"
        )
        .filter(pk=event_id, to_status=AssignmentStatus.RETURNED)
        .first()
    )
    if event is None:
        return {"skipped": "no such event"}
    assignment = event.assignment
    latest = ReviewEvent.objects.filter(assignment=assignment).order_by("-at", "-id").first()
    if assignment.status != AssignmentStatus.RETURNED or latest != event:
        return {"skipped": "resubmitted"}
    user = assignment.observer.user
    if not user.email:
        return {"skipped": "no e-mail address"}
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "assignment": assignment,
            "reason": event.reason,
            "link": settings.SITE_URL + reverse("observer-assignment", args=[assignment.pk]),
            "name": user.get_full_name() or user.get_username(),
            "SITE_NAME": settings.SITE_NAME,
        }
        subject = render_to_string("surveys/mail/report_returned_subject.txt", context).strip()
        body = render_to_string("surveys/mail/report_returned.txt", context)
    mail.EmailMessage(subject=subject, body=body, to=[user.email]).send()
    return {"sent": user.email}


def _locked(assignment: Assignment) -> Assignment:
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("observer")
        .get(pk=assignment.pk)
    )


def _check_reviewer(assignment: Assignment, reviewer: User) -> None:
    if not reviewer.is_authenticated:
        raise OwnReport(_("Log in to review reports."), code="login")
    if assignment.observer.user_id == reviewer.pk:
        raise OwnReport(
            _("You made this contact as observer; another reviewer must review it."),
            code="own_report",
        )


def _check_submitted(assignment: Assignment) -> None:
    if assignment.status != AssignmentStatus.SUBMITTED:
        raise ConflictError(
            _("Only submitted reports can be reviewed; this one is “%(status)s”.")
            % {"status": assignment.get_status_display()},
            code="not_submitted",
        )
