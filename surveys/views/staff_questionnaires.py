"""Staff console: the questionnaire list, the builder (htmx, with full-page fallbacks) and the
preview that shows the respondent's pages without saving anything.

Every write answers an htmx request with the re-rendered builder (``#builder``) and a message for
the live region; without JavaScript it redirects back to the builder. A form with errors comes
back in place with status 400 and its messages beside the fields.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from kundeservice.errors import DomainError
from kundeservice.roles import role_required
from surveys.branching import ConditionError, condition_leaves
from surveys.models import (
    Option,
    Question,
    Questionnaire,
    Response,
    ResponseStatus,
    Section,
    Wave,
)
from surveys.selectors import OutlineSection, questionnaire_outline, questionnaire_structure
from surveys.services import builder
from surveys.services.questionnaires import questionnaire_is_locked
from surveys.services.responding import page_preview, page_state
from surveys.views.builder_forms import (
    ConditionForm,
    OptionForm,
    OptionRows,
    QuestionForm,
    QuestionnaireForm,
    QuestionnaireNewForm,
    SectionForm,
    add_errors,
    condition_candidates,
    question_initial,
)
from surveys.views.staff_panels import PANEL_ROLES

PREVIEW_ACTIONS = {"next", "back", "stay", "submit"}


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    form = QuestionnaireNewForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire = builder.questionnaire_new(**form.cleaned_data)
        except DomainError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Questionnaire created. Add its first section."))
            return redirect("staff-questionnaire-detail", pk=questionnaire.pk)
    questionnaires = (
        Questionnaire.objects.annotate(
            locked=Exists(Response.objects.filter(wave__questionnaire=OuterRef("pk")))
        )
        .prefetch_related(Prefetch("waves", queryset=Wave.objects.order_by("starts_on")))
        .order_by("slug", "-version")
    )
    return render(
        request,
        "surveys/staff/questionnaire_list.html",
        {"questionnaires": questionnaires, "form": form},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def questionnaire_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The builder. POST changes the titles, introductions and kind."""
    questionnaire = get_object_or_404(Questionnaire, pk=pk)
    form = None
    if request.method == "POST":
        form = QuestionnaireForm(request.POST)
        if form.is_valid():
            try:
                builder.questionnaire_update(questionnaire=questionnaire, spec=form.cleaned_data)
            except DomainError as exc:
                add_errors(form, exc)
            else:
                return _done(request, questionnaire, _("Saved."), focus="settings-summary")
        return _builder(request, questionnaire, settings_form=form, status=400)
    return _builder(request, questionnaire, focus=request.GET.get("focus", "")[:60])


@require_POST
@role_required(*PANEL_ROLES)
def questionnaire_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = get_object_or_404(Questionnaire, pk=pk)
    fresh = builder.questionnaire_new_version(questionnaire=questionnaire)
    messages.success(
        request,
        _("Version %(n)d is a copy of version %(old)d; edit it here.")
        % {"n": fresh.version, "old": questionnaire.version},
    )
    return redirect("staff-questionnaire-detail", pk=fresh.pk)


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def questionnaire_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The respondent's pages, answered for real but kept only in the staff member's session."""
    questionnaire = get_object_or_404(Questionnaire, pk=pk)
    language = request.GET.get("lang") or request.POST.get("lang")
    language = language if language in {"nb", "en"} else "nb"
    here = reverse("staff-questionnaire-preview", args=[pk]) + f"?lang={language}"
    key = f"builder-preview-{pk}"
    if "restart" in request.GET:
        request.session.pop(key, None)
        return redirect(here)
    stored = request.session.get(key) or {}
    response = Response(
        draft=stored.get("draft") or {},
        page=stored.get("page") or 0,
        status=stored.get("status") or ResponseStatus.DRAFT,
        language=language,
    )
    context: dict[str, Any] = {
        "questionnaire": questionnaire,
        "here": here,
        "restart": reverse("staff-questionnaire-preview", args=[pk]) + f"?lang={language}&restart",
        "response": response,
    }
    with translation.override(language):
        structure = questionnaire_structure(questionnaire=questionnaire)
        if response.is_final:
            return render(
                request,
                "surveys/staff/questionnaire_preview_done.html",
                {**context, "reason": "used"},
            )
        if request.method == "GET":
            state = page_state(response=response, structure=structure)
            return render(
                request,
                "surveys/staff/questionnaire_preview.html",
                {**context, "state": state, "structure": structure},
            )
        action = request.POST.get("action", "stay")
        action = action if action in PREVIEW_ACTIONS else "stay"
        data = {k: request.POST.getlist(k) for k in request.POST}
        state = page_preview(response=response, structure=structure, data=data, action=action)
        request.session[key] = {
            "draft": response.draft,
            "page": response.page,
            "status": response.status,
        }
        if response.is_final:
            if request.htmx:
                # The page posts with htmx and swaps its survey region; the end page has none.
                done = HttpResponse(status=204)
                done["HX-Redirect"] = here
                return done
            return redirect(here)
        saved = action == "stay" and bool(request.htmx)  # type: ignore[attr-defined]
        if not saved and not state.errors:
            return redirect(here)
        return render(
            request,
            "surveys/staff/questionnaire_preview.html",
            {**context, "state": state, "structure": structure, "saved": saved},
            # htmx swaps only successful replies: the page carries its errors.
            status=400 if state.errors and not getattr(request, "htmx", False) else 200,
        )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def section_create(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = get_object_or_404(Questionnaire, pk=pk)
    outline = questionnaire_outline(questionnaire=questionnaire)
    form = SectionForm(
        _posted(request),
        candidates=condition_candidates(outline, section=len(outline)),
        auto_id="new-section-%s",
    )
    if request.method == "POST" and form.is_valid():
        try:
            section = builder.section_create(questionnaire=questionnaire, spec=form.spec())
        except DomainError as exc:
            add_errors(form, exc)
        else:
            return _done(
                request,
                questionnaire,
                _("Section “%(key)s” added.") % {"key": section.key},
                focus=f"section-{section.pk}-edit",
            )
    return _form(
        request,
        questionnaire,
        "surveys/staff/questionnaire_section_form.html",
        {
            "form": form,
            "heading": _("New section"),
            "action": reverse("staff-builder-section-create", args=[pk]),
            "form_id": "new-section-form",
            "focus": "new-section-link",
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def section_edit(request: HttpRequest, pk: int) -> HttpResponse:
    section = get_object_or_404(Section.objects.select_related("questionnaire"), pk=pk)
    questionnaire = section.questionnaire
    outline = questionnaire_outline(questionnaire=questionnaire)
    index = _index_of(outline, section.pk)
    form = SectionForm(
        _posted(request),
        initial={
            "key": section.key,
            "title": section.title,
            "title_en": section.title_en,
            "description": section.description,
            "description_en": section.description_en,
            "weight": section.weight,
        },
        candidates=condition_candidates(outline, section=index),
        condition=section.relevant,
        condition_text=describe(section.relevant, _questions_by_key(outline)),
        auto_id=f"section-{pk}-%s",
    )
    if request.method == "POST" and form.is_valid():
        try:
            builder.section_update(section=section, spec=form.spec())
        except DomainError as exc:
            add_errors(form, exc)
        else:
            return _done(
                request, questionnaire, _("Section saved."), focus=f"section-{section.pk}-edit"
            )
    return _form(
        request,
        questionnaire,
        "surveys/staff/questionnaire_section_form.html",
        {
            "form": form,
            "heading": _("Edit section “%(key)s”") % {"key": section.key},
            "action": reverse("staff-builder-section", args=[pk]),
            "form_id": f"section-{pk}-form",
            "focus": f"section-{pk}-edit",
        },
    )


@require_POST
@role_required(*PANEL_ROLES)
def section_delete(request: HttpRequest, pk: int) -> HttpResponse:
    section = get_object_or_404(Section.objects.select_related("questionnaire"), pk=pk)
    try:
        builder.section_delete(section=section)
    except DomainError as exc:
        return _refused(request, section.questionnaire, exc, focus=f"section-{pk}-delete")
    return _done(
        request,
        section.questionnaire,
        _("Section “%(key)s” deleted.") % {"key": section.key},
        focus="new-section-link",
    )


@require_POST
@role_required(*PANEL_ROLES)
def section_move(request: HttpRequest, pk: int) -> HttpResponse:
    section = get_object_or_404(Section.objects.select_related("questionnaire"), pk=pk)
    questionnaire = section.questionnaire
    outline = questionnaire_outline(questionnaire=questionnaire)
    index = _index_of(outline, section.pk)
    direction = request.POST.get("direction", "")
    position = _target(index, direction, request.POST.get("position"))
    if position is None:
        return _refused(request, questionnaire, _bad_move(), focus=f"section-{pk}-up")
    try:
        builder.section_move(section=section, position=position)
    except DomainError as exc:
        return _refused(request, questionnaire, exc, focus=_move_focus("section", pk, direction))
    position = min(max(position, 0), len(outline) - 1)
    return _done(
        request,
        questionnaire,
        _("Section “%(key)s” is now number %(n)d of %(total)d.")
        % {"key": section.key, "n": position + 1, "total": len(outline)},
        focus=_move_focus("section", pk, direction),
    )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def question_create(request: HttpRequest, pk: int) -> HttpResponse:
    section = get_object_or_404(Section.objects.select_related("questionnaire"), pk=pk)
    questionnaire = section.questionnaire
    outline = questionnaire_outline(questionnaire=questionnaire)
    index = _index_of(outline, section.pk)
    form = QuestionForm(
        _posted(request),
        candidates=condition_candidates(outline, section=index, question=-1),
        auto_id=f"section-{pk}-new-%s",
    )
    rows = OptionRows(_posted(request), prefix="options", auto_id=f"section-{pk}-new-%s")
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        filled = rows.filled()
        try:
            question = builder.question_create(
                section=section, spec={**form.spec(), "options": [spec for _i, spec in filled]}
            )
        except DomainError as exc:
            add_errors(form, exc, rows, filled)
        else:
            return _done(
                request,
                questionnaire,
                _("Question “%(key)s” added.") % {"key": question.key},
                focus=f"question-{question.pk}-edit",
            )
    return _form(
        request,
        questionnaire,
        "surveys/staff/questionnaire_question_form.html",
        {
            "form": form,
            "rows": rows,
            "heading": _("New question in “%(section)s”") % {"section": section.title},
            "action": reverse("staff-builder-question-create", args=[pk]),
            "form_id": f"section-{pk}-new-question-form",
            "focus": f"section-{pk}-new-question",
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Question.objects.select_related("questionnaire"), pk=pk)
    questionnaire = question.questionnaire
    outline = questionnaire_outline(questionnaire=questionnaire)
    s_index, index = _question_index(outline, question.pk)
    current = outline[s_index].questions[index]
    form = QuestionForm(
        _posted(request),
        initial=question_initial(current),
        candidates=condition_candidates(outline, section=s_index, question=index),
        condition=current.relevant,
        condition_text=describe(current.relevant, _questions_by_key(outline)),
        auto_id=f"question-{pk}-%s",
    )
    has_options = bool(current.options.all())
    rows = (
        None
        if has_options
        else OptionRows(_posted(request), prefix="options", auto_id=f"question-{pk}-%s")
    )
    if request.method == "POST" and form.is_valid() and (rows is None or rows.is_valid()):
        filled = rows.filled() if rows is not None else []
        spec = form.spec()
        if filled:
            spec["options"] = [s for _i, s in filled]
        try:
            builder.question_update(question=current, spec=spec)
        except DomainError as exc:
            add_errors(form, exc, rows, filled)
        else:
            return _done(
                request,
                questionnaire,
                _("Question “%(key)s” saved.") % {"key": spec["key"]},
                focus=f"question-{pk}-edit",
            )
    return _form(
        request,
        questionnaire,
        "surveys/staff/questionnaire_question_form.html",
        {
            "form": form,
            "rows": rows,
            "heading": _("Edit question “%(key)s”") % {"key": question.key},
            "action": reverse("staff-builder-question", args=[pk]),
            "form_id": f"question-{pk}-form",
            "focus": f"question-{pk}-edit",
        },
    )


@require_POST
@role_required(*PANEL_ROLES)
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Question.objects.select_related("questionnaire"), pk=pk)
    try:
        builder.question_delete(question=question)
    except DomainError as exc:
        return _refused(request, question.questionnaire, exc, focus=f"question-{pk}-delete")
    return _done(
        request,
        question.questionnaire,
        _("Question “%(key)s” deleted.") % {"key": question.key},
        focus=f"section-{question.section_id}-new-question",
    )


@require_POST
@role_required(*PANEL_ROLES)
def question_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move up or down (crossing into the neighbouring section at either end), or to ``position``
    in ``section`` (a drop)."""
    question = get_object_or_404(Question.objects.select_related("questionnaire"), pk=pk)
    questionnaire = question.questionnaire
    outline = questionnaire_outline(questionnaire=questionnaire)
    s_index, index = _question_index(outline, question.pk)
    direction = request.POST.get("direction", "")
    target_section = outline[s_index]
    if direction == "up" and index == 0 and s_index > 0:
        target_section = outline[s_index - 1]
        position: int | None = len(target_section.questions)
    elif direction == "down" and index == len(target_section.questions) - 1:
        target_section = outline[min(s_index + 1, len(outline) - 1)]
        position = 0 if target_section is not outline[s_index] else index
    elif direction in {"up", "down"}:
        position = _target(index, direction, None)
    else:
        position = _target(index, "", request.POST.get("position"))
        wanted = request.POST.get("section", "")
        target_section = next(
            (item for item in outline if str(item.section.pk) == wanted), target_section
        )
    if position is None:
        return _refused(request, questionnaire, _bad_move(), focus=f"question-{pk}-up")
    focus = _move_focus("question", pk, direction)
    try:
        builder.question_move(question=question, section=target_section.section, position=position)
    except DomainError as exc:
        return _refused(request, questionnaire, exc, focus=focus)
    after = questionnaire_outline(questionnaire=questionnaire)
    s_after, i_after = _question_index(after, question.pk)
    return _done(
        request,
        questionnaire,
        _("Question “%(key)s” is now number %(n)d of %(total)d in “%(section)s”.")
        % {
            "key": question.key,
            "n": i_after + 1,
            "total": len(after[s_after].questions),
            "section": after[s_after].section.title,
        },
        focus=focus,
        outline=after,
    )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def option_create(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Question.objects.select_related("questionnaire"), pk=pk)
    form = OptionForm(_posted(request), auto_id=f"question-{pk}-new-option-%s")
    if request.method == "POST" and form.is_valid():
        try:
            option = builder.option_create(question=question, spec=form.spec())
        except DomainError as exc:
            add_errors(form, exc)
        else:
            return _done(
                request,
                question.questionnaire,
                _("Option “%(value)s” added.") % {"value": option.value},
                focus=f"option-{option.pk}-edit",
            )
    return _form(
        request,
        question.questionnaire,
        "surveys/staff/questionnaire_option_form.html",
        {
            "form": form,
            "heading": _("New option for “%(key)s”") % {"key": question.key},
            "action": reverse("staff-builder-option-create", args=[pk]),
            "form_id": f"question-{pk}-new-option-form",
            "focus": f"question-{pk}-new-option",
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*PANEL_ROLES)
def option_edit(request: HttpRequest, pk: int) -> HttpResponse:
    option = get_object_or_404(Option.objects.select_related("question__questionnaire"), pk=pk)
    questionnaire = option.question.questionnaire
    form = OptionForm(
        _posted(request),
        initial={
            "value": option.value,
            "label": option.label,
            "label_en": option.label_en,
            "points": option.points,
        },
        auto_id=f"option-{pk}-%s",
    )
    if request.method == "POST" and form.is_valid():
        try:
            builder.option_update(option=option, spec=form.spec())
        except DomainError as exc:
            add_errors(form, exc)
        else:
            return _done(request, questionnaire, _("Option saved."), focus=f"option-{pk}-edit")
    return _form(
        request,
        questionnaire,
        "surveys/staff/questionnaire_option_form.html",
        {
            "form": form,
            "heading": _("Edit option “%(value)s” of “%(key)s”")
            % {"value": option.value, "key": option.question.key},
            "action": reverse("staff-builder-option", args=[pk]),
            "form_id": f"option-{pk}-form",
            "focus": f"option-{pk}-edit",
        },
    )


@require_POST
@role_required(*PANEL_ROLES)
def option_delete(request: HttpRequest, pk: int) -> HttpResponse:
    option = get_object_or_404(Option.objects.select_related("question__questionnaire"), pk=pk)
    questionnaire = option.question.questionnaire
    try:
        builder.option_delete(option=option)
    except DomainError as exc:
        return _refused(request, questionnaire, exc, focus=f"option-{pk}-delete")
    return _done(
        request,
        questionnaire,
        _("Option “%(value)s” deleted.") % {"value": option.value},
        focus=f"question-{option.question_id}-new-option",
    )


@require_POST
@role_required(*PANEL_ROLES)
def option_move(request: HttpRequest, pk: int) -> HttpResponse:
    option = get_object_or_404(Option.objects.select_related("question__questionnaire"), pk=pk)
    questionnaire = option.question.questionnaire
    values = list(option.question.options.order_by("position", "id").values_list("pk", flat=True))
    direction = request.POST.get("direction", "")
    position = _target(values.index(option.pk), direction, request.POST.get("position"))
    if position is None:
        return _refused(request, questionnaire, _bad_move(), focus=f"option-{pk}-up")
    try:
        builder.option_move(option=option, position=position)
    except DomainError as exc:
        return _refused(request, questionnaire, exc, focus=f"option-{pk}-up")
    position = min(max(position, 0), len(values) - 1)
    return _done(
        request,
        questionnaire,
        _("Option “%(value)s” is now number %(n)d of %(total)d.")
        % {"value": option.value, "n": position + 1, "total": len(values)},
        focus=_move_focus("option", pk, direction),
    )


# --- Rendering the builder ---------------------------------------------------------------------


@dataclass
class QuestionRow:
    question: Question
    condition: str
    first: bool
    last: bool


@dataclass
class SectionRow:
    section: Section
    condition: str
    questions: list[QuestionRow] = field(default_factory=list)


def builder_context(
    questionnaire: Questionnaire, outline: list[OutlineSection] | None = None
) -> dict[str, Any]:
    """What the builder fragment shows, in a fixed number of queries."""
    outline = questionnaire_outline(questionnaire=questionnaire) if outline is None else outline
    texts = _questions_by_key(outline)
    rows: list[SectionRow] = []
    for s_index, item in enumerate(outline):
        row = SectionRow(section=item.section, condition=describe(item.section.relevant, texts))
        for index, question in enumerate(item.questions):
            row.questions.append(
                QuestionRow(
                    question=question,
                    condition=describe(question.relevant, texts),
                    first=s_index == 0 and index == 0,
                    last=s_index == len(outline) - 1 and index == len(item.questions) - 1,
                )
            )
        rows.append(row)
    locked = questionnaire_is_locked(questionnaire=questionnaire)
    return {
        "questionnaire": questionnaire,
        "sections": rows,
        "locked": locked,
        "waves": list(questionnaire.waves.order_by("starts_on")),
        "newer": list(
            Questionnaire.objects.filter(
                slug=questionnaire.slug, version__gt=questionnaire.version
            ).order_by("version")
        ),
        "question_count": len(texts),
    }


def describe(condition: Any, questions: dict[str, Question]) -> str:
    """A condition in words, e.g. “resolved” is Partly or No."""
    if condition is None:
        return ""
    try:
        condition_leaves(condition)
    except ConditionError:
        return _("a condition that cannot be read")
    return _describe(condition, questions)


def _describe(condition: dict[str, Any], questions: dict[str, Question]) -> str:
    for combinator, joiner in (("all", _(" and ")), ("any", _(" or "))):
        if combinator in condition:
            return joiner.join(f"({_describe(c, questions)})" for c in condition[combinator])
    if "not" in condition:
        return _("not (%(condition)s)") % {"condition": _describe(condition["not"], questions)}
    question = questions.get(condition["q"])
    labels = {o.value: o.display_label for o in question.options.all()} if question else {}
    if "in" in condition:
        values = [labels.get(str(v), str(v)) for v in condition["in"]]
        return _("“%(key)s” is %(values)s") % {
            "key": condition["q"],
            "values": _(" or ").join(values),
        }
    value = str(condition["has"])
    return _("“%(key)s” includes %(value)s") % {
        "key": condition["q"],
        "value": labels.get(value, value),
    }


def _builder(
    request: HttpRequest,
    questionnaire: Questionnaire,
    *,
    settings_form: QuestionnaireForm | None = None,
    status: int = 200,
    focus: str = "",
    message: str = "",
    error: str = "",
    outline: list[OutlineSection] | None = None,
) -> HttpResponse:
    context = builder_context(questionnaire, outline)
    context.update(
        settings_form=settings_form
        or QuestionnaireForm(
            initial={
                "title": questionnaire.title,
                "title_en": questionnaire.title_en,
                "intro": questionnaire.intro,
                "intro_en": questionnaire.intro_en,
                "kind": questionnaire.kind,
            }
        ),
        focus=focus,
        message=message,
        error=error,
    )
    if request.htmx:  # type: ignore[attr-defined]
        context["oob"] = True
        return render(request, "surveys/staff/questionnaire_builder.html", context, status=status)
    return render(request, "surveys/staff/questionnaire_detail.html", context, status=status)


def _done(
    request: HttpRequest,
    questionnaire: Questionnaire,
    message: str,
    *,
    focus: str,
    outline: list[OutlineSection] | None = None,
) -> HttpResponse:
    """After a write: the re-rendered builder for htmx, a redirect back to it otherwise."""
    questionnaire.refresh_from_db()
    if request.htmx:  # type: ignore[attr-defined]
        return _builder(request, questionnaire, focus=focus, message=message, outline=outline)
    messages.success(request, message)
    return redirect(_anchored(questionnaire, focus))


def _refused(
    request: HttpRequest, questionnaire: Questionnaire, exc: DomainError, *, focus: str
) -> HttpResponse:
    error = " ".join(exc.messages)
    if request.htmx:  # type: ignore[attr-defined]
        return _builder(request, questionnaire, focus=focus, error=error, status=400)
    messages.error(request, error)
    return redirect(_anchored(questionnaire, focus))


def _form(
    request: HttpRequest, questionnaire: Questionnaire, template: str, context: dict[str, Any]
) -> HttpResponse:
    """A builder form: the fragment for htmx (in place, 400 with its errors), a page without."""
    form: ConditionForm | OptionForm = context["form"]
    rows = context.get("rows")
    invalid = form.is_bound and (
        bool(form.errors)
        or (rows is not None and (any(rows.errors) or bool(rows.non_form_errors())))
    )
    context = {
        **context,
        "questionnaire": questionnaire,
        "cancel": reverse("staff-questionnaire-detail", args=[questionnaire.pk])
        + f"?focus={context['focus']}",
        "fragment": template,
    }
    status = 400 if invalid else 200
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, template, context, status=status)
        if invalid:
            retarget(response, f"#{context['form_id']}")
            reswap(response, "outerHTML")
        return response
    return render(request, "surveys/staff/questionnaire_form_page.html", context, status=status)


def _posted(request: HttpRequest) -> Any:
    """The POST data to bind a form to (an empty POST still binds, and fails, the form)."""
    return request.POST if request.method == "POST" else None


def _questions_by_key(outline: list[OutlineSection]) -> dict[str, Question]:
    return {q.key: q for item in outline for q in item.questions}


def _anchored(questionnaire: Questionnaire, focus: str) -> str:
    """The builder's address, scrolled to the item ``focus`` (e.g. ``question-7-up``) belongs to."""
    anchor = "-".join(focus.split("-")[:2])
    return reverse("staff-questionnaire-detail", args=[questionnaire.pk]) + f"#{anchor}"


def _index_of(outline: list[OutlineSection], section_pk: int) -> int:
    return next(i for i, item in enumerate(outline) if item.section.pk == section_pk)


def _question_index(outline: list[OutlineSection], question_pk: int) -> tuple[int, int]:
    for s_index, item in enumerate(outline):
        for index, question in enumerate(item.questions):
            if question.pk == question_pk:
                return s_index, index
    raise LookupError(question_pk)


def _target(index: int, direction: str, position: str | None) -> int | None:
    if direction == "up":
        return max(index - 1, 0)
    if direction == "down":
        return index + 1
    try:
        return int(position or "")
    except ValueError:
        return None


def _move_focus(kind: str, pk: int, direction: str) -> str:
    return f"{kind}-{pk}-{'down' if direction == 'down' else 'up'}"


def _bad_move() -> DomainError:
    return DomainError(_("Say where to move it: up, down or a position."), code="bad_move")
