"""Staff console: import a questionnaire from an XLSForm workbook, download one as XLSForm."""

import json
import secrets

from django import forms
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kundeservice.errors import DomainError
from kundeservice.roles import role_required
from kundeservice.uploads import import_from_form
from surveys.models import Questionnaire
from surveys.services.xlsform import (
    questionnaire_export_xlsform,
    questionnaire_import_reviewed,
    questionnaire_review_xlsform,
    questionnaire_xlsform_filename,
)
from surveys.views.staff_panels import PANEL_ROLES
from surveys.xlsform import XLSX_MEDIA_TYPE


class XLSFormUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("XLSForm workbook (.xlsx)"),
        help_text=gettext_lazy(
            "Sheets survey, choices and settings, as KoboToolbox and ODK use them; also .xls, "
            ".csv or .md."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv,.md," + XLSX_MEDIA_TYPE}),
    )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def questionnaire_import(request: HttpRequest) -> HttpResponse:
    """Upload a form, review what will be imported (and what is not shown), then confirm."""
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request)
    form = XLSFormUploadForm(request.POST or None, request.FILES or None)
    outcome = import_from_form(
        form, questionnaire_review_xlsform, submitted=request.method == "POST"
    )
    parsed = outcome.summary
    if parsed is not None:
        token = secrets.token_urlsafe(12)
        # The session holds JSON: Decimals become text, which the specification accepts.
        spec = json.loads(json.dumps(parsed.spec, cls=DjangoJSONEncoder))
        request.session[PENDING_IMPORT] = {"token": token, "spec": spec}
        sections = parsed.spec["sections"]
        return render(
            request,
            "surveys/staff/xlsform_review.html",
            {
                "spec": parsed.spec,
                "token": token,
                "warnings": parsed.warnings,
                "sections": [
                    (s, [q for q in s["questions"] if q.get("relevant") != {"any": []}])
                    for s in sections
                ],
            },
        )
    return render(
        request,
        "surveys/staff/xlsform_import.html",
        {"form": form, "row_errors": outcome.row_errors},
        status=outcome.status,
    )


PENDING_IMPORT = "xlsform-pending-import"


def _confirm(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_IMPORT) or {}
    if not pending or pending.get("token") != request.POST.get("confirm"):
        messages.error(request, _("That review has expired: upload the file again."))
        return redirect("staff-questionnaire-import")
    try:
        questionnaire = questionnaire_import_reviewed(spec=pending["spec"])
    except DomainError as exc:
        messages.error(request, exc.messages[0])
        return redirect("staff-questionnaire-import")
    del request.session[PENDING_IMPORT]
    messages.success(
        request,
        _("Imported “%(title)s” as version %(version)d.")
        % {"title": questionnaire.title, "version": questionnaire.version},
    )
    return redirect(_page_of(questionnaire))


@require_GET
@role_required(*PANEL_ROLES)
def questionnaire_xlsform(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = get_object_or_404(Questionnaire, pk=pk)
    response = HttpResponse(
        questionnaire_export_xlsform(questionnaire=questionnaire), content_type=XLSX_MEDIA_TYPE
    )
    filename = questionnaire_xlsform_filename(questionnaire=questionnaire)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _page_of(questionnaire: Questionnaire) -> str:
    """The questionnaire's page in the builder, or the console when there is none."""
    try:
        return reverse("staff-questionnaire-detail", kwargs={"pk": questionnaire.pk})
    except NoReverseMatch:
        return reverse("staff-dashboard")
