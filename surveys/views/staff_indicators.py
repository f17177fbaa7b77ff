"""Staff console: industry groups (catalog staff) and, per wave, the groups it publishes and its
derived indicators (the staff who run results).

An indicator's condition is built from rows — a question, a test, values — joined by "all" or
"any", each row negatable; that covers the indicators reports use ("no to both", top-box,
first-contact resolution). A condition nested deeper (written through the API) is edited as
JSON on the same page.
"""

import json
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kundeservice.errors import DomainError
from kundeservice.roles import CATALOG_ROLES, RESULTS_ROLES, role_required
from surveys import indicators as conditions
from surveys.indicators import QuestionFacts
from surveys.models import Indicator, IndicatorBase, Industry, IndustryGroup, Wave
from surveys.selectors import indicator_question_facts, indicators_for_wave
from surveys.services.groups import (
    industry_group_delete,
    industry_group_save,
    wave_industry_groups_set,
)
from surveys.services.indicators import indicator_delete, indicator_save

#: A number, or a range of two ("5–6", "5-6", "4,5 - 6").
RANGE = re.compile(r"\s*(-?\d+(?:[.,]\d+)?)\s*(?:[-–]\s*(-?\d+(?:[.,]\d+)?))?\s*")
#: Rows of tests an indicator's form offers.
CONDITION_ROWS = 5
TESTS = [
    ("in", gettext_lazy("is one of")),
    ("has", gettext_lazy("includes (multiple choice)")),
    ("range", gettext_lazy("is between (numbers)")),
    ("answered", gettext_lazy("is answered")),
    ("unanswered", gettext_lazy("is not answered (or N/A)")),
]


class IndustryGroupForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name (Norwegian)"), max_length=120)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=120, required=False)
    slug = forms.SlugField(
        label=gettext_lazy("Address"),
        max_length=60,
        help_text=gettext_lazy("The last part of the group's results address, e.g. tele."),
    )
    industries = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Industries"),
        queryset=Industry.objects.order_by("position", "name"),
        widget=forms.CheckboxSelectMultiple,
    )
    position = forms.IntegerField(label=gettext_lazy("Position"), min_value=0, initial=0)


@require_http_methods(["GET"])
@role_required(*CATALOG_ROLES)
def industry_group_list(request: HttpRequest) -> HttpResponse:
    groups = IndustryGroup.objects.prefetch_related("industries", "waves")
    return render(request, "surveys/staff/industry_group_list.html", {"groups": groups})


@require_http_methods(["GET", "POST"])
@role_required(*CATALOG_ROLES)
def industry_group_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    group = get_object_or_404(IndustryGroup, pk=pk) if pk else None
    initial = (
        {
            "name": group.name,
            "name_en": group.name_en,
            "slug": group.slug,
            "industries": list(group.industries.all()),
            "position": group.position,
        }
        if group
        else {}
    )
    form = IndustryGroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = industry_group_save(group=group, **form.cleaned_data)
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Saved %(group)s.") % {"group": saved.display_name})
            return redirect("staff-industry-group-list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "surveys/staff/industry_group_form.html",
        {"form": form, "group": group},
        status=status,
    )


@require_POST
@role_required(*CATALOG_ROLES)
def industry_group_remove(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(IndustryGroup, pk=pk)
    try:
        industry_group_delete(group=group)
    except DomainError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Deleted %(group)s.") % {"group": group.display_name})
    return redirect("staff-industry-group-list")


class WaveGroupsForm(forms.Form):
    industry_groups = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Industry groups this wave publishes"),
        queryset=IndustryGroup.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


@require_http_methods(["GET", "POST"])
@role_required(*RESULTS_ROLES)
def wave_indicators(request: HttpRequest, pk: int) -> HttpResponse:
    """A wave's industry groups and indicators: what its next aggregation adds."""
    wave = get_object_or_404(Wave.objects.select_related("study", "questionnaire"), pk=pk)
    form = WaveGroupsForm(
        request.POST or None, initial={"industry_groups": list(wave.industry_groups.all())}
    )
    if request.method == "POST" and form.is_valid():
        wave_industry_groups_set(wave=wave, groups=form.cleaned_data["industry_groups"])
        messages.success(request, _("Saved. The next aggregation publishes these groups."))
        return redirect("staff-wave-indicators", pk=wave.pk)
    facts = indicator_question_facts(questionnaire=wave.questionnaire)
    indicators = [
        (indicator, _in_words(indicator.condition, facts))
        for indicator in indicators_for_wave(wave)
    ]
    return render(
        request,
        "surveys/staff/wave_indicators.html",
        {"wave": wave, "form": form, "indicators": indicators},
        status=400 if request.method == "POST" else 200,
    )


class IndicatorForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name (Norwegian)"), max_length=200)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=200, required=False)
    key = forms.SlugField(
        label=gettext_lazy("Key"),
        max_length=60,
        help_text=gettext_lazy("Published as ind:<key>; keep it from wave to wave to compare."),
    )
    description = forms.CharField(
        label=gettext_lazy("Description (Norwegian)"), widget=forms.Textarea, required=False
    )
    description_en = forms.CharField(
        label=gettext_lazy("Description (English)"), widget=forms.Textarea, required=False
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("For"),
        widget=forms.RadioSelect,
        choices=[
            ("wave", gettext_lazy("this wave only")),
            ("questionnaire", gettext_lazy("every wave answered with this questionnaire")),
        ],
    )
    base = forms.ChoiceField(
        label=gettext_lazy("Counted over"),
        choices=IndicatorBase.choices,
        widget=forms.RadioSelect,
        initial=IndicatorBase.ANSWERED,
    )
    combine = forms.ChoiceField(
        label=gettext_lazy("A response counts when"),
        choices=[
            ("all", gettext_lazy("every test below holds")),
            ("any", gettext_lazy("at least one test below holds")),
        ],
        widget=forms.RadioSelect,
        initial="all",
        required=False,  # one test needs no joining
    )
    condition_json = forms.CharField(
        label=gettext_lazy("Condition as JSON (instead of the tests)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=gettext_lazy(
            'For conditions the tests cannot express, e.g. {"any": [{"all": [...]}, ...]}.'
        ),
    )

    def __init__(self, *args: Any, facts: dict[str, QuestionFacts], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.facts = facts
        questions = [("", "—")] + [(k, f"{f.label} ({k})") for k, f in facts.items()]
        self.rows: list[tuple[str, str, str, str]] = []
        for n in range(1, CONDITION_ROWS + 1):
            self.fields[f"q{n}"] = forms.ChoiceField(
                label=_("Question %(n)d") % {"n": n}, choices=questions, required=False
            )
            self.fields[f"test{n}"] = forms.ChoiceField(
                label=_("Test %(n)d") % {"n": n}, choices=TESTS, required=False
            )
            self.fields[f"values{n}"] = forms.CharField(
                label=_("Values %(n)d") % {"n": n},
                required=False,
                max_length=300,
                help_text=_("Options (codes or labels, comma-separated), or a number range 5–6."),
            )
            self.fields[f"not{n}"] = forms.BooleanField(
                label=_("Negate test %(n)d") % {"n": n}, required=False
            )
            self.rows.append((f"q{n}", f"test{n}", f"values{n}", f"not{n}"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("condition_json", "").strip():
            try:
                cleaned["condition"] = json.loads(cleaned["condition_json"])
            except ValueError:
                self.add_error("condition_json", _("This is not valid JSON."))
            return cleaned
        tests = []
        for q, test, values, negate in self.rows:
            if not cleaned.get(q):
                continue
            leaf = self._leaf(cleaned[q], cleaned.get(test) or "in", cleaned.get(values, ""), q)
            if leaf is not None:
                tests.append({"not": leaf} if cleaned.get(negate) else leaf)
        if not tests and not self.errors:
            self.add_error(None, _("Add at least one test."))
        if tests:
            cleaned["condition"] = (
                tests[0] if len(tests) == 1 else {cleaned.get("combine") or "all": tests}
            )
        return cleaned

    def _leaf(self, key: str, test: str, values: str, field: str) -> dict[str, Any] | None:
        if test == "answered":
            return {"q": key, "answered": True}
        if test == "unanswered":
            return {"q": key, "answered": False}
        if test == "range":
            match = re.fullmatch(
                r"\s*(-?\d+(?:[.,]\d+)?)\s*(?:[-–]\s*(-?\d+(?:[.,]\d+)?))?\s*", values
            )
            if match is None:
                self.add_error(field, _("Give a number or a range such as 5–6."))
                return None
            low = float(match[1].replace(",", "."))
            high = float((match[2] or match[1]).replace(",", "."))
            return {"q": key, "min": _whole(low), "max": _whole(high)}
        codes = [self._code(key, v.strip()) for v in values.split(",") if v.strip()]
        if not codes:
            self.add_error(field, _("Give the options this test looks for."))
            return None
        if test == "has":
            return (
                {"all": [{"q": key, "has": code} for code in codes]}
                if len(codes) > 1
                else {
                    "q": key,
                    "has": codes[0],
                }
            )
        return {"q": key, "in": codes}

    def _code(self, key: str, text: str) -> str:
        """An option's code from its code or its label, matched without regard to case."""
        facts = self.facts.get(key)
        if facts is None:
            return text
        for code, label in facts.option_labels:
            if text.lower() in {code.lower(), label.lower()}:
                return code
        return text


def _whole(number: float) -> int | float:
    return int(number) if number.is_integer() else number


@require_http_methods(["GET", "POST"])
@role_required(*RESULTS_ROLES)
def indicator_edit(request: HttpRequest, wave_pk: int, pk: int | None = None) -> HttpResponse:
    """Create (or change) an indicator from a wave's page."""
    wave = get_object_or_404(Wave.objects.select_related("study", "questionnaire"), pk=wave_pk)
    indicator = get_object_or_404(Indicator, pk=pk) if pk else None
    facts = indicator_question_facts(questionnaire=wave.questionnaire)
    initial = _initial(indicator, facts) if indicator else {"scope": "questionnaire"}
    form = IndicatorForm(request.POST or None, initial=initial, facts=facts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        for_wave = data["scope"] == "wave"
        try:
            indicator_save(
                indicator=indicator,
                key=data["key"],
                name=data["name"],
                name_en=data["name_en"],
                description=data["description"],
                description_en=data["description_en"],
                condition=data["condition"],
                base=data["base"],
                wave=wave if for_wave else None,
                questionnaire_slug="" if for_wave else wave.questionnaire.slug,
                position=indicator.position if indicator else 0,
            )
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Saved. The next aggregation computes %(name)s.") % {"name": data["name"]},
            )
            return redirect("staff-wave-indicators", pk=wave.pk)
    return render(
        request,
        "surveys/staff/indicator_form.html",
        {"wave": wave, "form": form, "indicator": indicator},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@role_required(*RESULTS_ROLES)
def indicator_remove(request: HttpRequest, wave_pk: int, pk: int) -> HttpResponse:
    indicator = get_object_or_404(Indicator, pk=pk)
    indicator_delete(indicator=indicator)
    messages.success(
        request,
        _("Deleted %(name)s. Results already computed keep it.") % {"name": indicator.name},
    )
    return redirect(reverse("staff-wave-indicators", args=[wave_pk]))


def _initial(indicator: Indicator, facts: dict[str, QuestionFacts]) -> dict[str, Any]:
    """The form's fields for an indicator: its tests as rows when they fit, else JSON."""
    initial: dict[str, Any] = {
        "name": indicator.name,
        "name_en": indicator.name_en,
        "key": indicator.key,
        "description": indicator.description,
        "description_en": indicator.description_en,
        "scope": "wave" if indicator.wave_id else "questionnaire",
        "base": indicator.base,
    }
    condition = indicator.condition
    combine = next((c for c in ("all", "any") if c in condition), None)
    tests = condition[combine] if combine else [condition]
    rows = [_row(test, facts) for test in tests]
    if None in rows or len(rows) > CONDITION_ROWS:
        initial["condition_json"] = json.dumps(condition, ensure_ascii=False)
        return initial
    initial["combine"] = combine or "all"
    for n, row in enumerate(rows, start=1):
        assert row is not None
        initial.update({f"{key}{n}": value for key, value in row.items()})
    return initial


def _row(test: Any, facts: dict[str, QuestionFacts]) -> dict[str, Any] | None:
    negate = "not" in test
    leaf = test["not"] if negate else test
    if not isinstance(leaf, dict) or "q" not in leaf:
        return None
    row: dict[str, Any] = {"q": leaf["q"], "not": negate}
    if "answered" in leaf:
        row["test"] = "answered" if leaf["answered"] else "unanswered"
    elif "in" in leaf:
        row.update(test="in", values=", ".join(str(v) for v in leaf["in"]))
    elif "has" in leaf:
        row.update(test="has", values=str(leaf["has"]))
    else:
        low, high = leaf.get("min"), leaf.get("max")
        if low is None or high is None:
            return None
        row.update(test="range", values=f"{low}–{high}" if low != high else str(low))
    return row


def _in_words(condition: Any, facts: dict[str, QuestionFacts]) -> str:
    if conditions.validate(condition, facts):
        return _("(refers to questions this questionnaire does not have)")
    return conditions.describe(condition, facts)


def _form_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's errors onto the form: by field where the form has it, else on the form."""
    if hasattr(exc, "error_dict"):
        for field, messages_ in exc.message_dict.items():
            target = field if field in form.fields else None
            if field == "condition":
                target = "condition_json" if form.data.get("condition_json") else None
            for message in messages_:
                form.add_error(target, message)
    else:
        form.add_error(None, exc.messages[0])
