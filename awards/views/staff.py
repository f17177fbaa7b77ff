"""The award manager's console: award nights, their categories (finalists computed from the
results, confirmed, revealed), the audit trail, the presenter screen, and each jury."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from awards import selectors
from awards.models import (
    AwardCategory,
    AwardEvent,
    CategoryKind,
    CategoryMetric,
    CategoryScope,
    JuryMember,
    JuryNominee,
    TieBreak,
)
from awards.selectors import AWARD_ROLES
from awards.services import categories as category_services
from awards.services import jury as jury_services
from awards.services.events import STATE_ORDER, event_save, event_state_set
from kundeservice.errors import DomainError
from kundeservice.roles import role_required
from surveys import result_selectors
from surveys import selectors as survey_selectors

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class EventForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name (Norwegian)"), max_length=200)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=200, required=False)
    slug = forms.SlugField(label=gettext_lazy("Address"), max_length=80)
    starts_at = forms.DateTimeField(label=gettext_lazy("Starts"), widget=DATETIME)
    venue = forms.CharField(label=gettext_lazy("Venue"), max_length=200)
    address = forms.CharField(
        label=gettext_lazy("Address of the venue"), max_length=300, required=False
    )
    finalists_public_at = forms.DateTimeField(
        label=gettext_lazy("Finalists public from"), widget=DATETIME
    )
    description = forms.CharField(
        label=gettext_lazy("Description (Norwegian, Markdown)"),
        widget=forms.Textarea,
        required=False,
    )
    description_en = forms.CharField(
        label=gettext_lazy("Description (English, Markdown)"),
        widget=forms.Textarea,
        required=False,
    )


@require_http_methods(["GET", "POST"])
@role_required(*AWARD_ROLES)
def event_list(request: HttpRequest) -> HttpResponse:
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = event_save(**form.cleaned_data)
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Created %(event)s.") % {"event": event.display_name})
            return redirect("staff-award-event", pk=event.pk)
    events = AwardEvent.objects.order_by("-starts_at")
    return render(
        request,
        "awards/staff/event_list.html",
        {"events": events, "form": form},
        status=400 if request.method == "POST" else 200,
    )


class TemplateForm(forms.Form):
    wave = forms.ModelChoiceField(
        label=gettext_lazy("Published wave"), queryset=result_selectors.public_waves()
    )
    per_industry = forms.BooleanField(label=gettext_lazy("Best per industry"), required=False)
    per_channel = forms.BooleanField(label=gettext_lazy("Best per channel"), required=False)
    overall = forms.BooleanField(label=gettext_lazy("Best overall"), required=False)


@require_http_methods(["GET", "POST"])
@role_required(*AWARD_ROLES)
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(AwardEvent, pk=pk)
    initial = {
        "name": event.name,
        "name_en": event.name_en,
        "slug": event.slug,
        "starts_at": event.starts_at,
        "venue": event.venue,
        "address": event.address,
        "finalists_public_at": event.finalists_public_at,
        "description": event.description,
        "description_en": event.description_en,
    }
    action = request.POST.get("action")
    form = EventForm(request.POST if action == "edit" else None, initial=initial)
    template_form = TemplateForm(
        request.POST if action == "template" else None,
        initial={"per_industry": True, "per_channel": True, "overall": True},
    )
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if action == "edit" and form.is_valid():
                event_save(event=event, **form.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect("staff-award-event", pk=event.pk)
            if action == "state":
                event_state_set(event=event, state=request.POST.get("state", ""), by=request.user)
                return redirect("staff-award-event", pk=event.pk)
            if action == "template" and template_form.is_valid():
                data = template_form.cleaned_data
                made = category_services.categories_from_template(
                    event=event,
                    wave_id=data["wave"].pk,
                    template=category_services.Template(
                        per_industry=data["per_industry"],
                        per_channel=data["per_channel"],
                        overall=data["overall"],
                    ),
                )
                messages.success(request, _("Created %(n)d categories.") % {"n": len(made)})
                return redirect("staff-award-event", pk=event.pk)
        except DomainError as exc:
            messages.error(request, exc.messages[0])
    categories = list(
        event.categories.select_related("wave__study", "industry").prefetch_related("placements")
    )
    rows = [(c, selectors.confirmation_drift(c) if c.is_confirmed else None) for c in categories]
    step = STATE_ORDER.index(event.state)
    return render(
        request,
        "awards/staff/event_detail.html",
        {
            "event": event,
            "form": form,
            "template_form": template_form,
            "rows": rows,
            "next_state": STATE_ORDER[step + 1] if step + 1 < len(STATE_ORDER) else None,
            "previous_state": STATE_ORDER[step - 1] if step > 0 else None,
        },
        status=status,
    )


class CategoryForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name (Norwegian)"), max_length=200)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=200, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description (Norwegian)"), widget=forms.Textarea, required=False
    )
    description_en = forms.CharField(
        label=gettext_lazy("Description (English)"), widget=forms.Textarea, required=False
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Decided by"), choices=CategoryKind.choices, widget=forms.RadioSelect
    )
    wave = forms.ModelChoiceField(
        label=gettext_lazy("Published wave"),
        queryset=result_selectors.public_waves(),
        required=False,
        help_text=gettext_lazy("After choosing another wave, press “Show its figures”."),
    )
    measure = forms.ChoiceField(label=gettext_lazy("Figure"), required=False)
    scope = forms.ChoiceField(label=gettext_lazy("Among"), choices=CategoryScope.choices)
    industry = forms.ModelChoiceField(
        label=gettext_lazy("Industry"),
        queryset=survey_selectors.industries_with_company_counts(),
        required=False,
    )
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    minimum_n = forms.IntegerField(
        label=gettext_lazy("Minimum n"),
        min_value=1,
        required=False,
        help_text=gettext_lazy("Empty: the wave's minimum n."),
    )
    finalist_count = forms.IntegerField(
        label=gettext_lazy("Finalists"), min_value=1, max_value=20, initial=3
    )
    tie_break = forms.ChoiceField(
        label=gettext_lazy("Tie-break"), choices=TieBreak.choices, initial=TieBreak.HIGHER_N
    )
    tie_break_measure = forms.ChoiceField(
        label=gettext_lazy("Tie-break figure"),
        required=False,
        help_text=gettext_lazy("Only for a tie broken by another figure."),
    )

    def __init__(self, *args: Any, wave_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        measures = result_selectors.award_measures(wave_id=wave_id) if wave_id else []
        choices = [("", "—")] + [(m.measure, f"{m.label} ({m.measure})") for m in measures]
        for name in ("measure", "tie_break_measure"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices
        channel = self.fields["channel"]
        assert isinstance(channel, forms.ChoiceField)
        channel.choices = [("", "—"), *result_selectors.channel_choices()]


def _category_initial(category: AwardCategory) -> dict[str, Any]:
    return {
        "name": category.name,
        "name_en": category.name_en,
        "description": category.description,
        "description_en": category.description_en,
        "kind": category.kind,
        "wave": category.wave_id,
        "measure": category.measure,
        "scope": category.scope,
        "industry": category.industry_id,
        "channel": category.channel,
        "minimum_n": category.minimum_n,
        "finalist_count": category.finalist_count,
        "tie_break": category.tie_break,
        "tie_break_measure": category.tie_break_measure,
    }


def _posted_wave(request: HttpRequest, category: AwardCategory | None) -> int | None:
    raw = request.POST.get("wave") or request.GET.get("wave")
    if raw and raw.isdigit():
        return int(raw)
    return category.wave_id if category else None


@require_http_methods(["GET", "POST"])
@role_required(*AWARD_ROLES)
def category_edit(request: HttpRequest, event_pk: int, pk: int | None = None) -> HttpResponse:
    """Define a category; for a rule category, see its finalists as the results decide them
    now, confirm them (or another winner, with a reason), and see what changed since."""
    event = get_object_or_404(AwardEvent, pk=event_pk)
    category = get_object_or_404(AwardCategory, pk=pk, event=event) if pk else None
    action = request.POST.get("action", "save")
    wave_id = _posted_wave(request, category)
    initial = (
        _category_initial(category)
        if category
        else {"kind": CategoryKind.RULE, "scope": CategoryScope.INDUSTRY, "finalist_count": 3}
    )
    if request.method == "POST" and action == "wave":  # another wave chosen: its figures
        initial = {**initial, **request.POST.dict()}
    form = CategoryForm(
        request.POST if action == "save" else None, initial=initial, wave_id=wave_id
    )
    status = 200
    if request.method == "POST" and action != "wave":
        status = 400
        try:
            if action == "save" and form.is_valid():
                data = form.cleaned_data
                saved = category_services.category_save(
                    category=category,
                    event=event,
                    name=data["name"],
                    name_en=data["name_en"],
                    description=data["description"],
                    description_en=data["description_en"],
                    kind=data["kind"],
                    wave=data["wave"],
                    measure=data["measure"],
                    metric=CategoryMetric.SCORE,
                    scope=data["scope"],
                    industry=data["industry"],
                    channel=data["channel"],
                    minimum_n=data["minimum_n"],
                    finalist_count=data["finalist_count"],
                    tie_break=data["tie_break"],
                    tie_break_measure=data["tie_break_measure"],
                )
                messages.success(request, _("Saved."))
                return redirect("staff-award-category", event_pk=event.pk, pk=saved.pk)
            if action == "confirm" and category is not None:
                winner = request.POST.get("winner", "")
                kind, _sep, ident = winner.partition(":")
                category_services.category_confirm(
                    category=category,
                    by=request.user,
                    winner_company_id=int(ident) if kind == "company" and ident.isdigit() else None,
                    winner_nominee_id=int(ident) if kind == "nominee" and ident.isdigit() else None,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Finalists and winner confirmed."))
                return redirect("staff-award-category", event_pk=event.pk, pk=category.pk)
        except DomainError as exc:
            _form_errors(form, exc)
            messages.error(request, " ".join(exc.messages))
    context: dict[str, Any] = {"event": event, "category": category, "form": form}
    if category is not None:
        context.update(
            computed=selectors.computed_finalists(category)
            if category.kind == CategoryKind.RULE
            else None,
            jury=selectors.jury_results(category) if category.kind == CategoryKind.JURY else None,
            drift=selectors.confirmation_drift(category),
            placements=list(category.placements.select_related("company", "nominee")),
            decisions=category.decisions.select_related("actor")[:20],
        )
    return render(request, "awards/staff/category.html", context, status=status)


@require_POST
@role_required(*AWARD_ROLES)
def category_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal a winner (the presenter's key press): the winner's fragment for the screen."""
    category = get_object_or_404(AwardCategory.objects.select_related("event"), pk=pk)
    try:
        category = category_services.category_reveal(category=category, by=request.user)
    except DomainError as exc:
        return JsonResponse({"detail": exc.messages[0]}, status=exc.status_code)
    shown = selectors.public_event(category.event)
    item = next(c for c in shown.categories if c.category.pk == category.pk)
    html = render_to_string("awards/staff/_presenter_winner.html", {"item": item}, request)
    return JsonResponse({"html": html, "revealed_at": category.revealed_at.isoformat()})  # type: ignore[union-attr]


@require_POST
@role_required(*AWARD_ROLES)
def category_unreveal(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(AwardCategory, pk=pk)
    try:
        category_services.category_unreveal(
            category=category, by=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        return JsonResponse({"detail": exc.messages[0]}, status=exc.status_code)
    return JsonResponse({"revealed": False})


@require_GET
@role_required(*AWARD_ROLES)
def presenter(request: HttpRequest, pk: int) -> HttpResponse:
    """The screen on stage: a category's finalists, then on the next key its winner."""
    event = get_object_or_404(AwardEvent, pk=pk)
    # As the public sees it (winners only once revealed), finalists shown whatever their time:
    # the presenter is on stage when they are announced.
    shown = selectors.public_event(event)
    finalists_now = selectors.public_event(event, now=event.finalists_public_at)
    items = [
        (item, public.finalists)
        for item, public in zip(shown.categories, finalists_now.categories, strict=True)
        if item.category.is_confirmed
    ]
    return render(request, "awards/staff/presenter.html", {"event": event, "items": items})


@require_GET
@role_required(*AWARD_ROLES)
def decisions(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(AwardEvent, pk=pk)
    return render(
        request,
        "awards/staff/decisions.html",
        {"event": event, "decisions": selectors.decisions_for(event)[:500]},
    )


class NomineeForm(forms.Form):
    company = forms.ModelChoiceField(
        label=gettext_lazy("Company"),
        queryset=survey_selectors.companies_list(),
        required=False,
    )
    name = forms.CharField(label=gettext_lazy("Or another entrant"), max_length=200, required=False)
    justification = forms.CharField(
        label=gettext_lazy("Justification"), widget=forms.Textarea, required=False
    )
    document = forms.FileField(label=gettext_lazy("Document (PDF)"), required=False)

    def clean_document(self) -> Any:
        document = self.cleaned_data.get("document")
        if document is None:
            return None
        if document.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The document must be under 10 MB."))
        if not document.read(5).startswith(b"%PDF-"):
            raise forms.ValidationError(_("Upload the document as a PDF."))
        document.seek(0)
        return document


class CriterionForm(forms.Form):
    criterion_name = forms.CharField(label=gettext_lazy("Criterion"), max_length=200)
    weight = forms.DecimalField(
        label=gettext_lazy("Weight"), min_value=0.01, max_digits=6, decimal_places=2, localize=True
    )
    scale_min = forms.IntegerField(label=gettext_lazy("Scale from"), initial=1)
    scale_max = forms.IntegerField(label=gettext_lazy("Scale to"), initial=10)


class MemberForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)


class ConflictForm(forms.Form):
    member = forms.ModelChoiceField(
        label=gettext_lazy("Member"), queryset=JuryMember.objects.none()
    )
    nominee = forms.ModelChoiceField(
        label=gettext_lazy("Nominee"), queryset=JuryNominee.objects.none()
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)

    def __init__(self, *args: Any, category: AwardCategory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = category.jury.select_related("user")  # type: ignore[attr-defined]
        self.fields["nominee"].queryset = category.nominees.all()  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
@role_required(*AWARD_ROLES)
def jury_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """A jury category's nominees, criteria, members and conflicts, who has scored what, and
    locking the scoring."""
    category = get_object_or_404(
        AwardCategory.objects.select_related("event"), pk=pk, kind=CategoryKind.JURY
    )
    action = request.POST.get("action")
    forms_ = {
        "nominee": NomineeForm(
            request.POST if action == "nominee" else None,
            request.FILES if action == "nominee" else None,
        ),
        "criterion": CriterionForm(request.POST if action == "criterion" else None),
        "member": MemberForm(request.POST if action == "member" else None),
        "conflict": ConflictForm(request.POST if action == "conflict" else None, category=category),
    }
    status = 200
    if request.method == "POST":
        status = 400
        form = forms_.get(action or "")
        try:
            if action in {"lock", "unlock"}:
                jury_services.scoring_lock(
                    category=category, locked=action == "lock", by=request.user
                )
                return redirect("staff-award-jury", pk=category.pk)
            if form is not None and form.is_valid():
                data = form.cleaned_data
                if action == "nominee":
                    jury_services.nominee_add(
                        category=category,
                        company=data["company"],
                        name=data["name"],
                        justification=data["justification"],
                        document=data["document"],
                    )
                elif action == "criterion":
                    jury_services.criterion_add(
                        category=category,
                        name=data["criterion_name"],
                        weight=data["weight"],
                        scale_min=data["scale_min"],
                        scale_max=data["scale_max"],
                    )
                elif action == "member":
                    jury_services.member_add(category=category, username=data["username"])
                elif action == "conflict":
                    jury_services.conflict_declare(
                        member=data["member"], nominee=data["nominee"], reason=data["reason"]
                    )
                messages.success(request, _("Saved."))
                return redirect("staff-award-jury", pk=category.pk)
        except DomainError as exc:
            if form is not None:
                _form_errors(form, exc)
            else:
                messages.error(request, exc.messages[0])
    return render(
        request,
        "awards/staff/jury.html",
        {
            "category": category,
            "event": category.event,
            "forms": forms_,
            "nominees": category.nominees.select_related("company"),
            "criteria": category.criteria.all(),
            "progress": selectors.jury_progress(category),
            "results": selectors.jury_results(category),
            "conflicts": [
                (m, list(m.conflicts.select_related("nominee__company")))
                for m in category.jury.select_related("user").prefetch_related("conflicts")
            ],
        },
        status=status,
    )


def _form_errors(form: forms.Form, exc: DomainError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        form.add_error(None, exc.messages[0])
