"""Staff console for the observer programme: observers, the distribution key, the plan grid,
single moves, and calibration exercises."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from kundeservice.charts import svg_number
from kundeservice.errors import DomainError
from kundeservice.jobs import job_announce
from kundeservice.models import Job
from kundeservice.roles import Role, role_required
from surveys import selectors
from surveys.models import (
    Assignment,
    AssignmentStatus,
    CalibrationExercise,
    Channel,
    Company,
    ObservationSetup,
    Observer,
    Questionnaire,
    QuestionnaireKind,
    StudyKind,
    Wave,
)
from surveys.services import assignments as assignment_services
from surveys.services.calibration import (
    CalibrationReport,
    calibration_create,
    calibration_report,
)
from surveys.services.observers import observer_save
from surveys.weeks import week_label

#: Who plans observation waves and manages observers and calibration.
OBSERVATION_ROLES = (Role.STAFF_ADMIN, Role.PANEL_MANAGER)
PLAN_JOB = "plan_assignments"


class CompanyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.industry}"


def company_field(label: Any, help_text: Any = "", required: bool = False) -> CompanyChoiceField:
    return CompanyChoiceField(
        label=label,
        help_text=help_text,
        required=required,
        queryset=Company.objects.filter(is_active=True).select_related("industry").order_by("name"),
        widget=forms.CheckboxSelectMultiple,
    )


class ObserverForm(forms.Form):
    user = forms.ModelChoiceField(label=gettext_lazy("User"), queryset=Observer.objects.none())
    trained = forms.BooleanField(label=gettext_lazy("Trained"), required=False)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    weekly_capacity = forms.IntegerField(
        label=gettext_lazy("Contacts per week at most"), min_value=0, max_value=100, initial=5
    )
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Channels they can do"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, observer: Observer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["conflicts"] = company_field(
            gettext_lazy("Must never test (customer of)"),
            gettext_lazy("Companies the observer is a customer of; the planner never sends them."),
        )
        users = get_user_model().objects
        user_field: Any = self.fields["user"]
        if observer is not None:
            user_field.queryset = users.filter(pk=observer.user_id)
            user_field.disabled = True
        else:
            user_field.queryset = users.filter(
                groups__name=Role.OBSERVER, is_active=True, observer__isnull=True
            ).order_by("username")
            user_field.help_text = gettext_lazy("Users with the observer role and no profile yet.")


class SetupForm(forms.Form):
    contacts_per_company = forms.IntegerField(
        label=gettext_lazy("Contacts per company"), min_value=1, max_value=500
    )
    weeks = forms.IntegerField(label=gettext_lazy("Period (weeks)"), min_value=1, max_value=60)
    window_start = forms.TimeField(
        label=gettext_lazy("Contact window from"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    window_end = forms.TimeField(
        label=gettext_lazy("Contact window to"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    wait_time_share = forms.DecimalField(
        label=gettext_lazy("Share of the score from waiting time (%)"),
        min_value=0,
        max_value=100,
        decimal_places=1,
    )
    max_per_observer_company = forms.IntegerField(
        label=gettext_lazy("Contacts per observer and company at most"), min_value=1, max_value=10
    )
    seed = forms.IntegerField(
        label=gettext_lazy("Planning seed"),
        min_value=0,
        max_value=2_000_000_000,
        help_text=gettext_lazy("The same seed and input give the same plan."),
    )
    scenario = forms.CharField(
        label=gettext_lazy("Scenario brief"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What observers ask about; copied into each planned contact."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["companies"] = company_field(gettext_lazy("Companies taking part"))
        for value, label in Channel.choices:
            self.fields[f"share_{value}"] = forms.DecimalField(
                label=label, required=False, min_value=0, max_value=100, decimal_places=1
            )

    @property
    def share_fields(self) -> list[forms.BoundField]:
        return [self[f"share_{value}"] for value in Channel.values]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end <= start:
            self.add_error("window_end", _("The window must end after it starts."))
        shares = [data.get(f"share_{v}") for v in Channel.values]
        if all(f"share_{v}" not in self.errors for v in Channel.values):
            total = sum(s or 0 for s in shares)
            if total != 100:
                self.add_error(
                    None,
                    _("The channel shares add up to %(total)s %%; they must add up to 100 %%.")
                    % {"total": total},
                )
        return data

    def channel_shares(self) -> dict[str, float]:
        return {
            value: float(share) / 100
            for value in Channel.values
            if (share := self.cleaned_data.get(f"share_{value}"))
        }


class MoveForm(forms.Form):
    observer = forms.ChoiceField(label=gettext_lazy("Observer"))
    week = forms.TypedChoiceField(label=gettext_lazy("Week"), coerce=int)

    def __init__(self, *args: Any, assignment: Assignment, weeks: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        observers = [
            o
            for o in Observer.objects.filter(active=True, trained=True).select_related("user")
            if assignment.channel in (o.channels or ()) or o.pk == assignment.observer_id
        ]
        self.observers = {str(o.pk): o for o in observers}
        observer_field: Any = self.fields["observer"]
        observer_field.choices = [(str(o.pk), str(o)) for o in observers]
        observer_field.help_text = _("Active, trained observers who do %(channel)s.") % {
            "channel": assignment.get_channel_display()
        }
        week_field: Any = self.fields["week"]
        starts_on = assignment.wave.starts_on
        week_field.choices = [
            (w, capfirst(week_label(starts_on=starts_on, week=w))) for w in range(1, weeks + 1)
        ]


class CalibrationForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    questionnaire = forms.ModelChoiceField(
        label=gettext_lazy("Evaluation form"),
        queryset=Questionnaire.objects.filter(kind=QuestionnaireKind.EVALUATION).order_by(
            "slug", "-version"
        ),
    )
    company = forms.ModelChoiceField(
        label=gettext_lazy("Company"),
        required=False,
        queryset=Company.objects.filter(is_active=True).order_by("name"),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), required=False, choices=[("", "–"), *Channel.choices]
    )
    transcript = forms.CharField(
        label=gettext_lazy("Transcript"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    recording = forms.FileField(
        label=gettext_lazy("Recording"),
        required=False,
        help_text=gettext_lazy("Audio, e.g. mp3, m4a or wav; at most 50 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*,video/mp4,video/webm"}),
    )
    observers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Observers invited"),
        queryset=Observer.objects.filter(active=True).select_related("user"),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Each scores the dialogue on their own; at least two."),
    )


# Observers


@require_GET
@role_required(*OBSERVATION_ROLES)
def observer_list(request: HttpRequest) -> HttpResponse:
    observers = list(
        Observer.objects.select_related("user").annotate(
            conflict_count=Count("conflicts", distinct=True),
            planned_count=Count(
                "assignments",
                filter=Q(assignments__status=AssignmentStatus.PLANNED),
                distinct=True,
            ),
        )
    )
    labels = dict(Channel.choices)
    rows = [(o, [labels.get(c, c) for c in o.channels or ()]) for o in observers]
    return render(request, "surveys/staff/observation_observer_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@role_required(*OBSERVATION_ROLES)
def observer_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    observer = get_object_or_404(Observer.objects.select_related("user"), pk=pk) if pk else None
    initial: dict[str, Any] = {}
    if observer is not None:
        initial = {
            "user": observer.user_id,
            "trained": observer.trained,
            "active": observer.active,
            "weekly_capacity": observer.weekly_capacity,
            "channels": observer.channels,
            "conflicts": list(observer.conflicts.values_list("pk", flat=True)),
        }
    form = ObserverForm(request.POST or None, initial=initial, observer=observer)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = observer_save(
                    observer=observer,
                    user=data["user"],
                    trained=data["trained"],
                    active=data["active"],
                    weekly_capacity=data["weekly_capacity"],
                    channels=data["channels"],
                    conflicts=data["conflicts"],
                )
            except DomainError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request, _("The observer profile of %(o)s is saved.") % {"o": saved.observer}
                )
                if saved.broken:
                    messages.warning(
                        request,
                        ngettext(
                            "%(n)d planned contact no longer fits this profile: move it or "
                            "plan the wave again.",
                            "%(n)d planned contacts no longer fit this profile: move them or "
                            "plan the wave again.",
                            saved.broken,
                        )
                        % {"n": saved.broken},
                    )
                return redirect("staff-observer-list")
    return render(
        request,
        "surveys/staff/observation_observer_form.html",
        {"form": form, "observer": observer},
        status=status,
    )


# The distribution key and the planner run


@require_http_methods(["GET", "POST"])
@role_required(*OBSERVATION_ROLES)
def observation_setup(request: HttpRequest, pk: int) -> HttpResponse:
    wave = _observation_wave(pk)
    job_id = request.GET.get("job", "")
    if job_id.isdigit():  # htmx polls the planner's progress
        job = get_object_or_404(Job, pk=int(job_id), kind=PLAN_JOB, subject=f"wave:{wave.pk}")
        return render(
            request, "surveys/staff/observation_plan_job.html", {"job": job, "wave": wave}
        )
    setup = ObservationSetup.objects.filter(wave=wave).first()
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    if action == "plan":
        try:
            job = assignment_services.assignments_plan_start(wave=wave, user=request.user)
        except DomainError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            job_announce(
                request, job, started=_("Planning has started."), finished=_("Planning is done.")
            )
        return redirect("staff-observation-setup", pk=wave.pk)
    form = SetupForm(request.POST or None, initial=_setup_initial(wave, setup))
    status = 200
    if action == "save":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                assignment_services.observation_setup_save(
                    wave=wave,
                    companies=data["companies"],
                    channel_shares=form.channel_shares(),
                    contacts_per_company=data["contacts_per_company"],
                    weeks=data["weeks"],
                    window_start=data["window_start"],
                    window_end=data["window_end"],
                    wait_time_share=data["wait_time_share"] / 100,
                    max_per_observer_company=data["max_per_observer_company"],
                    seed=data["seed"],
                    scenario=data["scenario"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The distribution key is saved."))
                return redirect("staff-observation-setup", pk=wave.pk)
    by_status = dict(
        Assignment.objects.filter(wave=wave)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return render(
        request,
        "surveys/staff/observation_setup.html",
        {
            "wave": wave,
            "setup": setup,
            "form": form,
            "job": Job.objects.filter(kind=PLAN_JOB, subject=f"wave:{wave.pk}").first(),
            "by_status": [
                (label, by_status[value])
                for value, label in AssignmentStatus.choices
                if by_status.get(value)
            ],
            "planned_total": sum(by_status.values()),
        },
        status=status,
    )


# The plan grid and single moves


@require_GET
@role_required(*OBSERVATION_ROLES)
def observation_plan(request: HttpRequest, pk: int) -> HttpResponse:
    wave = _observation_wave(pk)
    setup = ObservationSetup.objects.filter(wave=wave).first()
    channel = request.GET.get("channel", "")
    if channel not in Channel.values:
        channel = ""
    grid = selectors.observation_plan_grid(setup=setup, channel=channel) if setup else None
    return render(
        request,
        "surveys/staff/observation_plan.html",
        {
            "wave": wave,
            "grid": grid,
            "channel": channel,
            "channels": Channel.choices,
            "move_url": reverse("staff-assignment-move", kwargs={"pk": 0}).replace("/0/", "/{}/"),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*OBSERVATION_ROLES)
def assignment_move(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(
        Assignment.objects.select_related("wave", "company", "observer__user"), pk=pk
    )
    setup = get_object_or_404(ObservationSetup, wave_id=assignment.wave_id)
    form = MoveForm(
        request.POST or None,
        initial={"observer": str(assignment.observer_id), "week": assignment.week},
        assignment=assignment,
        weeks=setup.weeks,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                assignment_services.assignment_move(
                    assignment=assignment,
                    observer=form.observers[form.cleaned_data["observer"]],
                    week=form.cleaned_data["week"],
                )
            except DomainError as exc:
                _add_errors(form, exc)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    _("%(company)s, %(channel)s: now week %(week)s with %(observer)s.")
                    % {
                        "company": assignment.company,
                        "channel": assignment.get_channel_display(),
                        "week": form.cleaned_data["week"],
                        "observer": form.observers[form.cleaned_data["observer"]],
                    },
                )
                url = reverse("staff-observation-plan", kwargs={"pk": assignment.wave_id})
                return redirect(f"{url}#company-{assignment.company_id}")
    return render(
        request,
        "surveys/staff/observation_move.html",
        {
            "assignment": assignment,
            "form": form,
            "movable": assignment.status == AssignmentStatus.PLANNED,
        },
        status=status,
    )


# Calibration


@require_http_methods(["GET", "POST"])
@role_required(*OBSERVATION_ROLES)
def calibration_list(request: HttpRequest) -> HttpResponse:
    form = CalibrationForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                exercise = calibration_create(
                    title=data["title"],
                    questionnaire=data["questionnaire"],
                    observers=data["observers"],
                    transcript=data["transcript"],
                    recording=data["recording"] or None,
                    company=data["company"],
                    channel=data["channel"],
                )
            except DomainError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The calibration exercise is created."))
                return redirect("staff-calibration-detail", pk=exercise.pk)
    exercises = CalibrationExercise.objects.select_related("questionnaire", "company").annotate(
        invited=Count("observers", distinct=True), rated=Count("ratings", distinct=True)
    )
    return render(
        request,
        "surveys/staff/observation_calibration_list.html",
        {"form": form, "exercises": exercises},
        status=status,
    )


@require_GET
@role_required(*OBSERVATION_ROLES)
def calibration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = get_object_or_404(
        CalibrationExercise.objects.select_related("questionnaire", "company"), pk=pk
    )
    report = calibration_report(exercise=exercise)
    return render(
        request,
        "surveys/staff/observation_calibration_detail.html",
        {
            "exercise": exercise,
            "report": report,
            "agreement_chart": _agreement_chart(report),
            "drift_chart": _drift_chart(report),
            "observer_url": request.build_absolute_uri(
                reverse("observer-calibration", kwargs={"pk": exercise.pk})
            ),
        },
    )


ROW = 22  # chart row height in SVG units; the charts are 400 units wide and scale to fit


def _agreement_chart(report: CalibrationReport) -> dict[str, Any]:
    """Bars of percent agreement per question, numbered as in the table."""
    bars = []
    for i, row in enumerate(report.questions):
        value = row.agreement.percent
        width = 3.0 * value if value is not None else 0.0
        bars.append(
            {
                "y": svg_number(4 + i * ROW),
                "text_y": svg_number(4 + i * ROW + 15),
                "label": f"#{row.number}",
                "width": svg_number(width),
                "value_x": svg_number(44 + width),
                "value": "–" if value is None else f"{value:.0f} %",
            }
        )
    return {"bars": bars, "height": svg_number(8 + ROW * len(bars))}


def _drift_chart(report: CalibrationReport) -> dict[str, Any]:
    """Diverging bars: each observer's score minus their peers' mean, centred on 0."""
    scale = 120 / report.max_drift
    bars = []
    for i, row in enumerate(report.drift):
        diff = row.drift.difference
        width = abs(diff) * scale if diff is not None else 0.0
        negative = diff is not None and diff < 0
        bars.append(
            {
                "y": svg_number(4 + i * ROW),
                "text_y": svg_number(4 + i * ROW + 15),
                "label": str(row.observer)[:16],
                "x": svg_number(270 - width if negative else 270),
                "width": svg_number(width),
                "negative": negative,
                "value": "–" if diff is None else _signed(diff),
            }
        )
    return {"bars": bars, "height": svg_number(8 + ROW * len(bars))}


def _signed(value: float) -> str:
    """A drift in points as the reader writes numbers: "+8,3" in bokmål, "+8.3" in English."""
    rounded = round(value, 1)
    text = number_format(abs(rounded), 1)
    return ("-" if rounded < 0 else "+") + text


def _observation_wave(pk: int) -> Wave:
    return get_object_or_404(
        Wave.objects.select_related("study", "questionnaire"),
        pk=pk,
        study__kind=StudyKind.OBSERVATION,
    )


def _setup_initial(wave: Wave, setup: ObservationSetup | None) -> dict[str, Any]:
    current = setup or ObservationSetup(wave=wave)
    initial: dict[str, Any] = {
        "contacts_per_company": current.contacts_per_company,
        "weeks": current.weeks,
        "window_start": current.window_start,
        "window_end": current.window_end,
        "wait_time_share": round(float(current.wait_time_share) * 100, 1),
        "max_per_observer_company": current.max_per_observer_company,
        "seed": current.seed,
        "scenario": current.scenario,
        "companies": list(setup.companies.values_list("pk", flat=True)) if setup else [],
    }
    for value, share in (current.channel_shares or {}).items():
        initial[f"share_{value}"] = round(float(share) * 100, 1)
    return initial


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's errors next to the fields they name; the rest above the form."""
    if hasattr(exc, "error_dict"):
        for name, field_messages in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, field_messages)
    else:
        form.add_error(None, exc.messages)
