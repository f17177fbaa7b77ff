"""The respondent's pages at /s/<token>/: one section a page, autosave, resume, submit once."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from surveys.selectors import questionnaire_structure
from surveys.services.responding import (
    IncompleteResponse,
    LinkProblem,
    page_save,
    page_state,
    response_for_token,
    response_submit,
)

LINK_PROBLEM_STATUS = {"unknown": 404, "expired": 410, "used": 200}
DIRECTIONS = {"next", "back", "stay"}


@never_cache
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    language = request.GET.get("lang") or request.POST.get("lang")
    try:
        response = response_for_token(token=token[:100])
    except LinkProblem as problem:
        finished = problem.response
        with translation.override(_language(language, finished.language if finished else None)):
            return render(
                request,
                "surveys/respond/link_problem.html",
                {"reason": problem.reason, "response": finished},
                status=LINK_PROBLEM_STATUS[problem.reason],
            )
    if language in {"nb", "en"} and language != response.language:
        response.language = language
        response.save(update_fields=["language"])
    with translation.override(response.language):
        structure = questionnaire_structure(questionnaire=response.wave.questionnaire)
        status = 200
        if request.method == "POST":
            action = request.POST.get("action", "stay")
            if action == "submit":
                try:
                    response_submit(response_id=response.pk, structure=structure)
                except IncompleteResponse as incomplete:
                    response.page = incomplete.page
                    response.save(update_fields=["page"])
                    state = page_state(
                        response=response, structure=structure, errors=incomplete.errors
                    )
                    status = 400
                else:
                    return redirect(request.path)
            else:
                data = {key: request.POST.getlist(key) for key in request.POST}
                state = page_save(
                    response=response,
                    structure=structure,
                    data=data,
                    direction=action if action in DIRECTIONS else "stay",
                )
                if response.is_final:
                    return redirect(request.path)
                if action == "stay" and request.htmx:  # type: ignore[attr-defined]
                    return render(
                        request, "surveys/respond/page.html", _context(state, structure, saved=True)
                    )
                if state.errors:
                    status = 400
                else:
                    return redirect(request.path)
        else:
            state = page_state(response=response, structure=structure)
        return render(
            request, "surveys/respond/page.html", _context(state, structure), status=status
        )


def _context(state: object, structure: object, *, saved: bool = False) -> dict[str, object]:
    return {"state": state, "structure": structure, "saved": saved}


def _language(requested: str | None, stored: str | None) -> str:
    if requested in {"nb", "en"}:
        return requested
    return stored or "nb"
