"""The observer portal at /observer/: my assignments, recording a contact, the evaluation.

An observer sees only their own assignments: anyone else's is a 404. Points are never shown.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kundeservice.errors import DomainError
from kundeservice.roles import Role, role_required
from surveys import selectors
from surveys.models import Assignment, AssignmentStatus, AttemptResult, ContactOutcome, Response
from surveys.selectors import Structure
from surveys.services import fieldwork
from surveys.weeks import week_bounds

#: Channels where "only an automatic reply" can happen (a phone call is answered or not).
AUTO_REPLY_CHANNELS = {"email", "contact_form", "social", "chat", "chatbot"}
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AttemptForm(forms.Form):
    started_at = forms.DateTimeField(
        label=gettext_lazy("Contacted at"),
        help_text=gettext_lazy("When you called, started the chat or sent the message."),
        widget=DATETIME_INPUT,
    )
    result = forms.ChoiceField(
        label=gettext_lazy("What happened?"),
        choices=AttemptResult.choices,
        widget=forms.RadioSelect,
    )
    answered_at = forms.DateTimeField(
        label=gettext_lazy("Answered at"),
        required=False,
        help_text=gettext_lazy("Only when you were answered: when a person answered you."),
        widget=DATETIME_INPUT,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, channel: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if channel not in AUTO_REPLY_CHANNELS:
            self.fields["result"].choices = [  # type: ignore[attr-defined]
                c for c in AttemptResult.choices if c[0] != AttemptResult.AUTO_REPLY
            ]


@require_GET
@role_required(Role.OBSERVER)
def home(request: HttpRequest) -> HttpResponse:
    observer = selectors.observer_for_user(user=request.user)
    agenda = selectors.observer_agenda(observer=observer) if observer else None
    return render(request, "surveys/observer/home.html", {"observer": observer, "agenda": agenda})


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(Role.OBSERVER)
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(
        Assignment.objects.filter(observer__user_id=request.user.pk or 0).select_related(
            "wave__questionnaire", "wave__observation_setup", "company", "response"
        ),
        pk=pk,
    )
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = AttemptForm(channel=assignment.channel)
    errors: dict[str, str] = {}
    status = 200
    if action == "attempt":
        form = AttemptForm(request.POST, channel=assignment.channel)
        if form.is_valid():
            try:
                fieldwork.attempt_record(
                    assignment=assignment,
                    user=request.user,
                    started_at=form.cleaned_data["started_at"],
                    answered_at=form.cleaned_data["answered_at"],
                    result=form.cleaned_data["result"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                _form_errors(form, exc)
                status = exc.status_code
            else:
                messages.success(request, _attempt_message(assignment))
                return redirect("observer-assignment", pk=assignment.pk)
        else:
            status = 400
    elif action in {"save", "submit"}:
        structure = _structure(assignment)
        answers = {key: request.POST.getlist(key) for key in structure.questions}
        try:
            if action == "save":
                draft = fieldwork.evaluation_save(
                    assignment=assignment, user=request.user, answers=answers
                )
                errors = draft.errors
                assignment.response = draft.response
                if request.htmx:  # type: ignore[attr-defined]
                    return _render(request, assignment, form, errors, saved=True)
                if not errors:
                    messages.success(request, _("Your draft is saved."))
                    return redirect("observer-assignment", pk=assignment.pk)
                status = 400
            else:
                fieldwork.evaluation_submit(
                    assignment=assignment, user=request.user, answers=answers
                )
                messages.success(request, _("Your report is handed in to quality assurance."))
                return redirect("observer-home")
        except fieldwork.IncompleteEvaluation as incomplete:
            errors, status = incomplete.errors, 400
            fieldwork.evaluation_save(assignment=assignment, user=request.user, answers=answers)
        except DomainError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("observer-assignment", pk=assignment.pk)
        assignment.response = Response.objects.get(assignment=assignment)
    elif request.method == "POST":
        raise Http404
    return _render(request, assignment, form, errors, status=status)


def _render(
    request: HttpRequest,
    assignment: Assignment,
    form: AttemptForm,
    errors: dict[str, str],
    *,
    saved: bool = False,
    status: int = 200,
) -> HttpResponse:
    response: Response | None = getattr(assignment, "response", None)
    editable = (
        assignment.outcome == ContactOutcome.ANSWERED
        and assignment.status in fieldwork.EDITABLE_STATUSES
        and response is not None
    )
    sections: list[Any] = []
    structure: Structure | None = None
    if editable and response is not None:
        structure = _structure(assignment)
        sections = [
            (section, structure.visible_questions(section, response.draft))
            for section in structure.visible_sections(response.draft)
        ]
    first_day, last_day = week_bounds(starts_on=assignment.wave.starts_on, week=assignment.week)
    setup = getattr(assignment.wave, "observation_setup", None)
    context = {
        "assignment": assignment,
        "attempts": list(assignment.attempts.all()),
        "form": form,
        "can_attempt": assignment.status in fieldwork.OPEN_STATUSES and not assignment.outcome,
        "editable": editable,
        "sections": sections,
        "structure": structure,
        "draft": response.draft if response else {},
        "errors": errors,
        "saved": saved,
        "week_first": first_day,
        "week_last": last_day,
        "window_start": setup.window_start if setup else fieldwork.DEFAULT_WINDOW[0],
        "window_end": setup.window_end if setup else fieldwork.DEFAULT_WINDOW[1],
        "wait_limit": fieldwork.wait_limit_text(assignment.channel),
        "retry_another_day": assignment.channel in fieldwork.RETRY_ANOTHER_DAY,
        "handed_in": assignment.status in fieldwork.HANDED_IN,
        "returned": assignment.status == AssignmentStatus.RETURNED,
    }
    return render(request, "surveys/observer/assignment.html", context, status=status)


def _structure(assignment: Assignment) -> Structure:
    return selectors.questionnaire_structure(questionnaire=assignment.wave.questionnaire)


def _form_errors(form: forms.Form, exc: DomainError) -> None:
    if hasattr(exc, "error_dict"):
        for name, field_messages in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, field_messages)
    else:
        form.add_error(None, exc.messages)


def _attempt_message(assignment: Assignment) -> str:
    if assignment.outcome == ContactOutcome.ANSWERED:
        return _("Contact recorded as answered. Fill in the evaluation below.")
    if assignment.outcome == ContactOutcome.NOT_ANSWERED:
        return _(
            "Second attempt recorded. The contact is closed as not answered and handed in "
            "to quality assurance."
        )
    if assignment.channel in fieldwork.RETRY_ANOTHER_DAY:
        return _(
            "No answer recorded. Make a second attempt on another day this week and record it here."
        )
    return _("No answer recorded. Make a second attempt this week and record it here.")
