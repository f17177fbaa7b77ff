"""Answering a questionnaire page by page, shared by the invitation link (/s/<token>/) and the
open poll link (/p/<slug>/): show the current page, autosave, move on or back, submit once."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from surveys.models import Response
from surveys.selectors import Structure, questionnaire_structure
from surveys.services.responding import (
    IncompleteResponse,
    PageState,
    page_save,
    page_state,
    response_submit,
)

DIRECTIONS = {"next", "back", "stay"}


def answer_pages(
    request: HttpRequest,
    response: Response,
    *,
    done_url: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET shows the response's current page. POST saves it (``next`` validates and moves on,
    ``back``, or ``stay``: the htmx autosave) or submits; once the response is final the
    respondent is sent to ``done_url``. ``context`` is added to the page's template context."""
    extra = context or {}
    structure = questionnaire_structure(questionnaire=response.wave.questionnaire)
    status = 200
    if request.method != "POST":
        state = page_state(response=response, structure=structure)
        return render(request, "surveys/respond/page.html", _context(state, structure, extra))
    action = request.POST.get("action", "stay")
    if action == "finish":
        # Save the last page and submit in one step (open polls: no review page to click
        # through). If branching opens another page, the respondent is taken there instead.
        state = page_save(
            response=response, structure=structure, data=_data(request), direction="next"
        )
        if response.is_final:  # sent by another request of the same browser (double click)
            return redirect(done_url)
        if state.errors:
            status = 400
        elif not state.is_review:
            return redirect(request.path)
        else:
            action = "submit"
    if action == "submit":
        try:
            response_submit(response_id=response.pk, structure=structure)
        except IncompleteResponse as incomplete:
            response.page = incomplete.page
            response.save(update_fields=["page"])
            state = page_state(response=response, structure=structure, errors=incomplete.errors)
            status = 400
        else:
            return redirect(done_url)
    elif action != "finish":
        state = page_save(
            response=response,
            structure=structure,
            data=_data(request),
            direction=action if action in DIRECTIONS else "stay",
        )
        if response.is_final:
            return redirect(done_url)
        if action == "stay" and request.htmx:  # type: ignore[attr-defined]
            return render(
                request,
                "surveys/respond/page.html",
                _context(state, structure, extra, saved=True),
            )
        if state.errors:
            status = 400
        else:
            return redirect(request.path)
    return render(
        request, "surveys/respond/page.html", _context(state, structure, extra), status=status
    )


def _data(request: HttpRequest) -> dict[str, list[str]]:
    return {key: request.POST.getlist(key) for key in request.POST}


def _context(
    state: PageState, structure: Structure, extra: dict[str, Any], *, saved: bool = False
) -> dict[str, Any]:
    return {**extra, "state": state, "structure": structure, "saved": saved}
