"""Staff console: export a wave's responses in the background, watch it, download the file."""

from typing import Any

from django import forms
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kundeservice.errors import DomainError
from kundeservice.jobs import job_announce
from kundeservice.models import Job
from kundeservice.roles import role_required
from surveys.models import Wave
from surveys.services.exports import EXPORT_JOB, ExportFormat, export_file, export_start
from surveys.views.staff_panels import PANEL_ROLES

RECENT_EXPORTS = 10


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=ExportFormat.choices,
        initial=ExportFormat.CSV,
        widget=forms.RadioSelect,
    )
    include_screened_out = forms.BooleanField(
        label=gettext_lazy("Include screened-out respondents"),
        required=False,
        help_text=gettext_lazy("They have only their answer to the screening question."),
    )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def wave_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The export page: start an export, see earlier ones. The wave page has the same form."""
    wave = get_object_or_404(Wave.objects.select_related("study"), pk=pk)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = export_start(
                wave=wave,
                file_format=form.cleaned_data["format"],
                include_screened_out=form.cleaned_data["include_screened_out"],
                user=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.messages[0])
        else:
            job_announce(
                request,
                job,
                started=_("The export has started."),
                finished=_("The export is ready to download."),
            )
            return redirect(reverse("staff-wave-detail", args=[wave.pk]) + "#export")
    return render(
        request,
        "surveys/staff/wave_export.html",
        {"wave": wave, "form": form, "jobs": wave_export_jobs(wave=wave)[:RECENT_EXPORTS]},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@role_required(*PANEL_ROLES)
def export_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """An export's progress and, once done, its download link; htmx polls it while it runs."""
    job = get_object_or_404(Job, pk=pk, kind=EXPORT_JOB)
    return render(request, "surveys/staff/export_job.html", {"job": job})


@require_GET
@role_required(*PANEL_ROLES)
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    """The file of a finished export, streamed; 404 for anything else."""
    found = export_file(job=get_object_or_404(Job, pk=pk))
    if found is None:
        raise Http404(_("There is no finished export with that number."))
    return FileResponse(
        found.path.open("rb"),
        as_attachment=True,
        filename=found.filename,
        content_type=found.content_type,
    )


def wave_export_jobs(*, wave: Wave) -> Any:
    return Job.objects.filter(kind=EXPORT_JOB, subject=f"wave:{wave.pk}").order_by("-pk")


def export_panel_context(*, wave: Wave) -> dict[str, Any]:
    """What the export section of the wave page shows: the form and the latest export."""
    return {"wave": wave, "export_form": ExportForm(), "job": wave_export_jobs(wave=wave).first()}
