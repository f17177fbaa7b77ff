"""Staff console: import a questionnaire from an XLSForm workbook, download one as XLSForm."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kundeservice.roles import role_required
from kundeservice.uploads import import_from_form
from surveys.models import Questionnaire
from surveys.services.xlsform import (
    questionnaire_export_xlsform,
    questionnaire_import_xlsform,
    questionnaire_xlsform_filename,
)
from surveys.views.staff_panels import PANEL_ROLES
from surveys.xlsform import XLSX_MEDIA_TYPE


class XLSFormUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("XLSForm workbook (.xlsx)"),
        help_text=gettext_lazy(
            "Sheets survey, choices and settings, as KoboToolbox and ODK use them."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_MEDIA_TYPE}),
    )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def questionnaire_import(request: HttpRequest) -> HttpResponse:
    form = XLSFormUploadForm(request.POST or None, request.FILES or None)
    outcome = import_from_form(
        form, questionnaire_import_xlsform, submitted=request.method == "POST"
    )
    questionnaire = outcome.summary
    if questionnaire is not None:
        messages.success(
            request,
            _("Imported “%(title)s” as version %(version)d.")
            % {"title": questionnaire.title, "version": questionnaire.version},
        )
        return redirect(_page_of(questionnaire))
    return render(
        request,
        "surveys/staff/xlsform_import.html",
        {"form": form, "row_errors": outcome.row_errors},
        status=outcome.status,
    )


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
