"""Staff console: panels, waves, invitations and the response-rate dashboard."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kundeservice.errors import DomainError
from kundeservice.jobs import job_announce
from kundeservice.models import Job
from kundeservice.roles import RESULTS_ROLES, Role, role_required, user_has_role
from kundeservice.uploads import import_from_form
from surveys import selectors
from surveys.evaluation import answer_lines
from surveys.models import (
    Panelist,
    Questionnaire,
    Response,
    ResponseStatus,
    Study,
    Wave,
    WaveStatus,
)
from surveys.services import invitations as invitation_services
from surveys.services.panels import panelists_import
from surveys.services.responding import response_invalidate, response_restore
from surveys.services.waves import wave_save

PANEL_ROLES = (Role.STAFF_ADMIN, Role.PANEL_MANAGER)


class PanelImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or Excel file"),
        help_text=gettext_lazy("Columns: e-post, kjønn, fødselsår, fylke, ekstern_id, språk."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


class InviteForm(forms.Form):
    sample_size = forms.IntegerField(
        label=gettext_lazy("How many to invite"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Leave empty to invite everyone in the panel not yet invited."),
    )
    stratify_by = forms.MultipleChoiceField(
        label=gettext_lazy("Draw in proportion to"),
        required=False,
        choices=[
            ("region", gettext_lazy("County")),
            ("age_group", gettext_lazy("Age group")),
            ("gender", gettext_lazy("Gender")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    seed = forms.IntegerField(label=gettext_lazy("Random seed"), initial=1, min_value=0)


#: Bokmål letters in an address made from a name: "Bølge" becomes "bolge", not "blge".
NORWEGIAN_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "Ae", "Ø": "O", "Å": "A"})


class QuestionnaireVersionField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _("%(title)s, version %(version)s (%(kind)s)") % {
            "title": obj.display_title,
            "version": obj.version,
            "kind": obj.get_kind_display(),
        }


class WaveForm(forms.Form):
    """A wave's period and the questionnaire version it is answered with."""

    study = forms.ModelChoiceField(
        label=gettext_lazy("Study"), queryset=Study.objects.order_by("name")
    )
    name = forms.CharField(label=gettext_lazy("Name (Norwegian)"), max_length=200)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=200, required=False)
    slug = forms.SlugField(
        label=gettext_lazy("Address"),
        max_length=80,
        required=False,
        help_text=gettext_lazy(
            "The wave's part of the results address, e.g. 2027. Left empty: made from the name."
        ),
    )
    questionnaire = QuestionnaireVersionField(
        label=gettext_lazy("Questionnaire version"),
        queryset=Questionnaire.objects.order_by("slug", "-version"),
        help_text=gettext_lazy(
            "Respondents answer this version. It cannot be changed once the wave has responses."
        ),
    )
    starts_on = forms.DateField(
        label=gettext_lazy("Starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Ends"), widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=WaveStatus.choices,
        initial=WaveStatus.DRAFT,
        help_text=gettext_lazy("Invitations are sent and answers taken while it is collecting."),
    )
    previous = forms.ModelChoiceField(
        label=gettext_lazy("Compared with"),
        queryset=Wave.objects.select_related("study").order_by("-starts_on"),
        required=False,
        help_text=gettext_lazy(
            "The earlier wave of the same study that changes are measured from."
        ),
    )
    minimum_n = forms.IntegerField(
        label=gettext_lazy("Minimum n"),
        min_value=1,
        max_value=100_000,
        required=False,
        help_text=gettext_lazy(
            "Fewer answers than this: no published score. Left empty: 50 for a survey, "
            "10 for mystery shopping."
        ),
    )

    def __init__(self, *args: Any, wave: Wave | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if wave is not None:
            study: Any = self.fields["study"]
            study.disabled = True  # a wave stays in its study
            previous: Any = self.fields["previous"]
            previous.queryset = previous.queryset.filter(study=wave.study).exclude(pk=wave.pk)

    def clean_slug(self) -> str:
        name = str(self.data.get("name", "")).translate(NORWEGIAN_LETTERS)
        slug = self.cleaned_data.get("slug") or slugify(name)[:80]
        if not slug:
            raise forms.ValidationError(_("Give the wave an address, e.g. 2027."))
        return str(slug)


@require_GET
@role_required(*PANEL_ROLES)
def wave_list(request: HttpRequest) -> HttpResponse:
    waves = Wave.objects.select_related("study", "questionnaire").order_by("-starts_on")
    return render(request, "surveys/staff/wave_list.html", {"waves": waves})


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def wave_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create a wave, or change one's period and questionnaire version."""
    wave = get_object_or_404(Wave.objects.select_related("study"), pk=pk) if pk else None
    initial: dict[str, Any] = {}
    if wave is not None:
        initial = {
            name: getattr(wave, name)
            for name in ("study", "name", "name_en", "slug", "questionnaire", "starts_on")
        } | {
            "ends_on": wave.ends_on,
            "status": wave.status,
            "previous": wave.previous,
            "minimum_n": wave.minimum_n,
        }
    form = WaveForm(request.POST or None, initial=initial, wave=wave)
    if request.method == "POST" and form.is_valid():
        try:
            saved = wave_save(wave=wave, **form.cleaned_data)
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Saved the wave %(wave)s.") % {"wave": saved.display_name})
            return redirect("staff-wave-detail", pk=saved.pk)
    return render(
        request,
        "surveys/staff/wave_form.html",
        {"form": form, "wave": wave},
        status=400 if request.method == "POST" else 200,
    )


def _form_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's errors onto the form: by field where the form has it, else on the form."""
    if hasattr(exc, "error_dict"):
        for field, field_messages in exc.message_dict.items():
            for message in field_messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        form.add_error(None, exc.messages[0])


@require_GET
@role_required(*PANEL_ROLES)
def wave_detail(request: HttpRequest, pk: int) -> HttpResponse:
    wave = get_object_or_404(Wave.objects.select_related("study", "questionnaire"), pk=pk)
    return render(
        request, "surveys/staff/wave_detail.html", _wave_context(request, wave, InviteForm())
    )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def wave_invite(request: HttpRequest, pk: int) -> HttpResponse:
    wave = get_object_or_404(Wave, pk=pk)
    if request.method == "GET":  # a reload or a bookmark: the form lives on the wave's page
        return redirect("staff-wave-detail", pk=wave.pk)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            count = invitation_services.invitations_create(
                wave=wave,
                panelists=Panelist.objects.all().iterator(chunk_size=5000),
                sample_size=form.cleaned_data["sample_size"],
                stratify_by=form.cleaned_data["stratify_by"],
                seed=form.cleaned_data["seed"],
            )
        except DomainError as exc:
            form.add_error(None, exc.messages[0])
        else:
            messages.success(request, _("%(n)d panelists invited.") % {"n": count})
            return redirect("staff-wave-detail", pk=wave.pk)
    return render(
        request, "surveys/staff/wave_detail.html", _wave_context(request, wave, form), status=400
    )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def wave_send(request: HttpRequest, pk: int) -> HttpResponse:
    wave = get_object_or_404(Wave, pk=pk)
    if request.method == "GET":
        return redirect("staff-wave-detail", pk=wave.pk)
    try:
        job = invitation_services.invitations_send_start(wave=wave, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.messages[0])
    else:
        job_announce(
            request, job, started=_("Sending has started."), finished=_("Sending is finished.")
        )
    return redirect("staff-wave-detail", pk=wave.pk)


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def panel_import(request: HttpRequest) -> HttpResponse:
    form = PanelImportForm(request.POST or None, request.FILES or None)
    outcome = import_from_form(form, panelists_import, submitted=request.method == "POST")
    if outcome.summary is not None:
        summary = outcome.summary
        messages.success(
            request,
            _(
                "Imported panelists: %(created)d new, %(updated)d updated, "
                "%(merged)d duplicate rows merged."
            )
            % {
                "created": summary.created,
                "updated": summary.updated,
                "merged": summary.merged_rows,
            },
        )
        return redirect("staff-wave-list")
    return render(
        request,
        "surveys/staff/panel_import.html",
        {"form": form, "row_errors": outcome.row_errors, "panel_size": Panelist.objects.count()},
        status=outcome.status,
    )


def _wave_context(request: HttpRequest, wave: Wave, form: InviteForm) -> dict[str, Any]:
    return {
        "wave": wave,
        "runs_results": user_has_role(request.user, *RESULTS_ROLES),
        "form": form,
        "progress": selectors.wave_progress(wave=wave),
        "refused": selectors.wave_refused_invitations(wave=wave),
        "by_day": selectors.wave_completions_by_day(wave=wave),
        "by_stratum": selectors.wave_rates_by_stratum(wave=wave),
        "job": Job.objects.filter(kind="send_invitations", subject=f"wave:{wave.pk}").first(),
        "invitable": selectors.panelists_invitable_count(wave=wave),
    }


class InvalidateForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why is it invalid?"), max_length=300)


@require_GET
@role_required(*PANEL_ROLES)
def response_list(request: HttpRequest, pk: int) -> HttpResponse:
    wave = get_object_or_404(Wave, pk=pk)
    status = request.GET.get("status", "")
    qs = selectors.responses_for_wave(
        wave=wave,
        status=status if status in ResponseStatus.values else None,
        invalid=request.GET.get("invalid") == "1",
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/staff/response_list.html",
        {
            "wave": wave,
            "page": page,
            "statuses": ResponseStatus.choices,
            "filters": {"status": status},
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_object_or_404(
        Response.objects.select_related("wave__questionnaire", "company", "invalidated_by"), pk=pk
    )
    form = InvalidateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "restore":
            response_restore(response=response)
            messages.success(request, _("The response counts again."))
            return redirect("staff-response-detail", pk=response.pk)
        if form.is_valid():
            try:
                response_invalidate(
                    response=response, by=request.user, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                form.add_error(None, exc.messages[0])
            else:
                messages.success(
                    request, _("The response is marked invalid and left out of results.")
                )
                return redirect("staff-response-detail", pk=response.pk)
        status = 400
    answers = response.answers.select_related("question").order_by(
        "question__section__position", "question__position"
    )
    structure = selectors.questionnaire_structure(questionnaire=response.wave.questionnaire)
    return render(
        request,
        "surveys/staff/response_detail.html",
        {
            "response": response,
            "lines": answer_lines(structure=structure, answers=answers),
            "form": form,
        },
        status=status,
    )
