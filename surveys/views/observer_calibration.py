"""Calibration for observers: score the exercise's dialogue once, with the evaluation form.

Only observers invited to the exercise see it (anyone else gets a 404). Points are never shown.
"""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kundeservice.errors import DomainError
from kundeservice.roles import Role, role_required, user_has_role
from surveys import selectors
from surveys.models import CalibrationExercise, CalibrationRating
from surveys.services import calibration as calibration_services
from surveys.services.fieldwork import IncompleteEvaluation
from surveys.views.staff_observations import OBSERVATION_ROLES


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(Role.OBSERVER)
def observer_calibration(request: HttpRequest, pk: int) -> HttpResponse:
    observer = selectors.observer_for_user(user=request.user)
    if observer is None:
        raise Http404
    exercise = get_object_or_404(
        CalibrationExercise.objects.filter(observers=observer).select_related("questionnaire"),
        pk=pk,
    )
    rating = CalibrationRating.objects.filter(exercise=exercise, observer=observer).first()
    structure = selectors.questionnaire_structure(questionnaire=exercise.questionnaire)
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST" and rating is None:
        posted = {key: request.POST.getlist(key) for key in structure.questions}
        answers = {key: values for key, values in posted.items() if any(values)}
        if request.POST.get("action") != "refresh":  # htmx re-renders the form as answers change
            try:
                calibration_services.calibration_rate(
                    exercise=exercise, observer=observer, answers=posted
                )
            except IncompleteEvaluation as incomplete:
                errors, status = incomplete.errors, 400
            except DomainError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("observer-calibration", pk=exercise.pk)
            else:
                messages.success(request, _("Thank you: your scoring is saved."))
                return redirect("observer-calibration", pk=exercise.pk)
        answers = {key: _single(values) for key, values in answers.items()}
    sections = [
        (section, structure.visible_questions(section, answers))
        for section in structure.visible_sections(answers)
    ]
    return render(
        request,
        "surveys/observer/calibration.html",
        {
            "exercise": exercise,
            "rating": rating,
            "sections": sections,
            "answers": answers,
            "errors": errors,
        },
        status=status,
    )


@require_GET
@role_required(Role.OBSERVER, *OBSERVATION_ROLES)
def calibration_recording(request: HttpRequest, pk: int) -> FileResponse:
    """The exercise's recording, for staff and the observers invited to it."""
    exercise = get_object_or_404(CalibrationExercise, pk=pk)
    if not user_has_role(request.user, *OBSERVATION_ROLES):
        observer = selectors.observer_for_user(user=request.user)
        if observer is None or not exercise.observers.filter(pk=observer.pk).exists():
            raise Http404
    if not exercise.recording:
        raise Http404
    try:
        handle = exercise.recording.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, filename=exercise.recording.name.rsplit("/", 1)[-1])


def _single(values: list[str]) -> Any:
    """Posted values as the question partial shows them: one value, or the list for a
    multiple choice."""
    return values[0] if len(values) == 1 else values
