"""Staff console: the QA queue of observer reports, and one report with approve / return."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kundeservice.errors import DomainError
from kundeservice.roles import Role, role_required
from surveys import selectors
from surveys.evaluation import report_lines
from surveys.models import Assignment, AssignmentStatus, Wave
from surveys.services.review import MAX_REASON, report_approve, report_return

REVIEW_ROLES = (Role.QA_REVIEWER, Role.STAFF_ADMIN)


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What must the observer fix?"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("The observer gets this by e-mail and in the portal."),
    )


@require_GET
@role_required(*REVIEW_ROLES)
def review_queue(request: HttpRequest) -> HttpResponse:
    waves = list(selectors.review_waves())
    wave: Wave | None = None
    chosen = request.GET.get("wave", "")
    if chosen:
        wave = next((w for w in waves if str(w.pk) == chosen), None)
        if wave is None:
            raise Http404
    reports = selectors.review_queue(reviewer=request.user, wave_id=wave.pk if wave else None)
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/staff/review_queue.html",
        {"page": page, "waves": waves, "wave": wave, "filters": {"wave": chosen}},
    )


@require_http_methods(["GET", "POST"])
@role_required(*REVIEW_ROLES)
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(selectors.report_for_review(), pk=pk)
    own = assignment.observer.user_id == request.user.pk
    form = ReturnForm()
    status = 200
    if request.method == "POST":
        if own:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "approve":
                report_approve(assignment=assignment, reviewer=request.user)
                messages.success(request, _("Report approved: the contact now counts."))
                return redirect("staff-review-queue")
            if action != "return":
                raise Http404
            form = ReturnForm(request.POST)
            if form.is_valid():
                report_return(
                    assignment=assignment,
                    reviewer=request.user,
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("Report returned; the observer has been told."))
                return redirect("staff-review-queue")
            status = 400
        except DomainError as exc:
            if hasattr(exc, "error_dict"):
                for name, field_messages in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, field_messages)
            else:
                form.add_error(None, exc.messages)
            status = exc.status_code
            assignment = get_object_or_404(selectors.report_for_review(), pk=pk)
    return render(
        request, "surveys/staff/review_detail.html", _context(assignment, form, own), status=status
    )


def _context(assignment: Assignment, form: ReturnForm, own: bool) -> dict[str, object]:
    response = assignment.response
    structure = selectors.questionnaire_structure(questionnaire=assignment.wave.questionnaire)
    return {
        "assignment": assignment,
        "report": response,
        "areas": report_lines(
            structure=structure, answers=response.draft, section_scores=response.section_scores
        ),
        "attempts": list(assignment.attempts.all()),
        "events": list(assignment.events.all()),
        "form": form,
        "own": own,
        "reviewable": assignment.status == AssignmentStatus.SUBMITTED and not own,
    }
