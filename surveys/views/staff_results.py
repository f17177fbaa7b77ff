"""Staff console: a wave's results — aggregate now (with progress), weighting targets, publish."""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kundeservice.errors import DomainError
from kundeservice.jobs import job_announce
from kundeservice.roles import RESULTS_PREVIEW_ROLES, RESULTS_ROLES, role_required, user_has_role
from surveys.models import Gender, Region, ResultSet, ResultSetStatus, StudyKind, Wave
from surveys.selectors import other_companies_named
from surveys.services.aggregation import aggregation_start, results_are_stale
from surveys.services.publishing import wave_publish, wave_weighting_save

RECENT_SETS = 10
AGE_GROUPS = [("18-29", "18–29"), ("30-44", "30–44"), ("45-59", "45–59"), ("60+", "60+")]


def weighting_dimensions() -> list[tuple[str, Any, list[tuple[str, Any]]]]:
    return [
        ("gender", gettext_lazy("Gender"), list(Gender.choices)),
        ("age_group", gettext_lazy("Age group"), AGE_GROUPS),
        ("region", gettext_lazy("County"), list(Region.choices)),
    ]


class AggregateForm(forms.Form):
    cutoff = forms.DateField(
        label=gettext_lazy("Results through"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Responses submitted (or approved) up to and including this day."),
    )


class WeightingForm(forms.Form):
    """A target share (%) per category; a dimension left blank is not weighted on."""

    trim_min = forms.DecimalField(
        label=gettext_lazy("Smallest weight (× the mean)"),
        min_value=Decimal("0.01"),
        max_value=Decimal(1),
        decimal_places=2,
        localize=True,
    )
    trim_max = forms.DecimalField(
        label=gettext_lazy("Largest weight (× the mean)"),
        min_value=Decimal(1),
        max_value=Decimal(20),
        decimal_places=2,
        localize=True,
    )

    def __init__(self, data: Any = None, *, wave: Wave) -> None:
        margins = wave.weight_margins or {}
        initial = {"trim_min": wave.weight_trim_min, "trim_max": wave.weight_trim_max}
        for dim, _label, choices in weighting_dimensions():
            for value, _name in choices:
                share = margins.get(dim, {}).get(value)
                initial[f"{dim}__{value}"] = share
        super().__init__(data, initial=initial)
        self.groups: list[tuple[str, Any, list[Any]]] = []
        for dim, label, choices in weighting_dimensions():
            names = []
            for value, name in choices:
                field_name = f"{dim}__{value}"
                self.fields[field_name] = forms.DecimalField(
                    label=name,
                    required=False,
                    min_value=Decimal(0),
                    max_value=Decimal(100),
                    localize=True,
                )
                names.append(field_name)
            self.groups.append((dim, label, names))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        margins: dict[str, dict[str, float]] = {}
        for dim, label, names in self.groups:
            values = {n.split("__", 1)[1]: cleaned.get(n) for n in names}
            given = {k: v for k, v in values.items() if v is not None}
            if not given:
                continue
            total = sum(given.values(), Decimal(0))
            if abs(total - 100) > Decimal("0.5"):
                self.add_error(
                    None,
                    _("%(dimension)s: the targets add up to %(total)s %%, not 100 %%.")
                    % {"dimension": label, "total": total},
                )
            margins[dim] = {k: float(v) for k, v in given.items()}
        if (
            cleaned.get("trim_min") is not None
            and cleaned.get("trim_max") is not None
            and cleaned["trim_min"] >= cleaned["trim_max"]
        ):
            self.add_error("trim_max", _("The largest weight must be above the smallest."))
        cleaned["margins"] = margins
        return cleaned


@require_GET
@role_required(*RESULTS_PREVIEW_ROLES)
def results_list(request: HttpRequest) -> HttpResponse:
    """Every wave with its current results: where editors and panel staff start."""
    current = ResultSet.objects.filter(is_current=True)
    waves = (
        Wave.objects.exclude(study__kind=StudyKind.POLL)
        .select_related("study")
        .prefetch_related(Prefetch("result_sets", queryset=current, to_attr="current_sets"))
        .order_by("-starts_on", "name")
    )
    return render(
        request,
        "surveys/staff/results_list.html",
        {"waves": waves, "runs_results": user_has_role(request.user, *RESULTS_ROLES)},
    )


@require_http_methods(["GET", "POST"])
@role_required(*RESULTS_ROLES)
def wave_results(request: HttpRequest, pk: int) -> HttpResponse:
    wave = get_object_or_404(Wave.objects.select_related("study"), pk=pk)
    default_cutoff = min(timezone.localdate(), wave.ends_on)
    aggregate_form = AggregateForm(initial={"cutoff": default_cutoff})
    weighting_form = WeightingForm(wave=wave)
    status = 200
    confirm_hide = False
    action = request.POST.get("action")
    if request.method == "POST":
        try:
            if action == "aggregate":
                aggregate_form = AggregateForm(request.POST)
                if aggregate_form.is_valid():
                    result_set = aggregation_start(
                        wave=wave, cutoff=aggregate_form.cleaned_data["cutoff"], by=request.user
                    )
                    job_announce(
                        request,
                        result_set.job,
                        started=_("The aggregation has started."),
                        finished=_("The aggregation is finished."),
                    )
                    return redirect(reverse("staff-wave-results", args=[wave.pk]))
            elif action == "weighting":
                weighting_form = WeightingForm(request.POST, wave=wave)
                if weighting_form.is_valid():
                    data = weighting_form.cleaned_data
                    wave_weighting_save(
                        wave=wave,
                        margins=data["margins"],
                        trim=(float(data["trim_min"]), float(data["trim_max"])),
                    )
                    messages.success(
                        request, _("Weighting targets saved. They apply from the next run.")
                    )
                    return redirect(reverse("staff-wave-results", args=[wave.pk]))
            elif action == "unpublish" and request.POST.get("confirm") != "yes":
                confirm_hide = True  # say what the public will see, and ask
            elif action in {"publish", "unpublish"}:
                wave_publish(wave=wave, public=action == "publish")
                messages.success(
                    request,
                    _("The results are public.")
                    if action == "publish"
                    else _("The results are hidden from the public."),
                )
                return redirect(reverse("staff-wave-results", args=[wave.pk]))
        except DomainError as exc:
            messages.error(request, exc.messages[0])
        status = 200 if confirm_hide else 400
    sets = list(wave.result_sets.select_related("job")[:RECENT_SETS])
    current = (
        next((s for s in sets if s.is_current), None)
        or wave.result_sets.filter(is_current=True).first()
    )
    return render(
        request,
        "surveys/staff/wave_results.html",
        {
            "wave": wave,
            "sets": sets,
            "current": current,
            "stale": current is not None and results_are_stale(wave=wave, result_set=current),
            "running": [s for s in sets if s.status == ResultSetStatus.RUNNING and s.job],
            "aggregate_form": aggregate_form,
            "weighting_form": weighting_form if wave.study.kind == StudyKind.PANEL else None,
            "other_companies": other_companies_named(wave=wave),
            "confirm_hide": confirm_hide and wave.is_public,
        },
        status=status,
    )
