"""Answering a questionnaire page by page, shared by the invitation link (/s/<token>/) and the
open poll link (/p/<slug>/): show the current page, autosave, move on or back, submit once.

In a browser with JavaScript the page costs one request: "Next", "Back" and "Submit" post with
htmx and get the following page in the reply (no redirect and reload), and autosave
(surveys/static/surveys/respond.js) posts only after a pause, when a branching answer changes,
and as a beacon when the page is hidden or left. Without JavaScript every post redirects."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from surveys.answers import shown_on_page
from surveys.models import Response
from surveys.selectors import Structure, questionnaire_structure_by_id
from surveys.services.responding import (
    IncompleteResponse,
    PageState,
    page_go_to,
    page_save,
    page_state,
    response_submit,
)

DIRECTIONS = {"next", "back", "stay"}
#: The autosave's field saying what the browser's page shows (respond.js ``shownOnPage``); not a
#: possible question key, so it never mixes with the answers.
SHOWN = "@shown"


def answer_pages(
    request: HttpRequest,
    response: Response,
    *,
    done_url: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET shows the response's current page. POST saves it (``next`` validates and moves on,
    ``back``, or ``stay``: the autosave), goes back to a page to change it (``goto``) or submits;
    once the response is final the respondent is sent to ``done_url``. ``context`` is added to
    the page's template context."""
    extra = context or {}
    # The process-cached structure, without a cache round trip for the catalog version on
    # every page (the respondent API's hot path does the same).
    questionnaire = response.wave.questionnaire
    structure = questionnaire_structure_by_id(
        questionnaire_id=questionnaire.pk, updated_at=questionnaire.updated_at
    )
    status = 200
    if request.method != "POST":
        state = page_state(response=response, structure=structure)
        return render(request, "surveys/respond/page.html", _context(state, structure, extra))
    action = request.POST.get("action", "stay")
    goto = _int(request.POST.get("goto"))
    if goto is not None:
        state = page_go_to(response=response, structure=structure, page=goto)
        return _moved(request, state, structure, extra)
    if action == "finish":
        # Save the last page and submit in one step (open polls: no review page to click
        # through). If branching opens another page, the respondent is taken there instead.
        state = page_save(
            response=response,
            structure=structure,
            data=_data(request),
            direction="next",
            page=_int(request.POST.get("page")),
        )
        if response.is_final:  # sent by another request of the same browser (double click)
            return _done(request, done_url)
        if state.errors:
            status = 400
        elif not state.is_review:
            return _moved(request, state, structure, extra)
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
            return _done(request, done_url)
    elif action != "finish":
        direction = action if action in DIRECTIONS else "stay"
        state = page_save(
            response=response,
            structure=structure,
            data=_data(request),
            direction=direction,
            page=_int(request.POST.get("page")),
        )
        if response.is_final:
            return _done(request, done_url)
        if direction == "stay":
            if request.POST.get("beacon"):  # sent as the page was left: nobody reads the reply
                return HttpResponse(status=204)
            if _is_script(request):
                said = _lines(request.POST.get(SHOWN))
                if state.section is not None and said == _lines(
                    shown_on_page(state.questions, state.answers)
                ):
                    # Saved, and the page in the browser already shows what these answers
                    # show: no page to send back (the autosave's common case).
                    return HttpResponse(status=204)
                return render(
                    request,
                    "surveys/respond/page.html",
                    _context(state, structure, extra, saved=True),
                )
        if state.errors:
            status = 400
        else:
            return _moved(request, state, structure, extra)
    if _is_script(request):
        status = 200  # htmx swaps only successful replies; the page carries its errors
    return render(
        request, "surveys/respond/page.html", _context(state, structure, extra), status=status
    )


def _moved(
    request: HttpRequest, state: PageState, structure: Structure, extra: dict[str, Any]
) -> HttpResponse:
    """The page the respondent is on now: in the reply itself for a script (one request a page),
    by a redirect otherwise (reloading then never posts the answers again)."""
    if _is_script(request):
        return render(request, "surveys/respond/page.html", _context(state, structure, extra))
    return redirect(request.path)


def _lines(text: str | None) -> str | None:
    """Line ends as the browser's form encoding and HTML parsing leave them (CR LF, lone CR)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if text is not None else None


def _done(request: HttpRequest, done_url: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        reply = HttpResponse(status=204)
        reply["HX-Redirect"] = done_url
        return reply
    return redirect(done_url)


def _is_script(request: HttpRequest) -> bool:
    return bool(request.htmx) or request.headers.get("X-Autosave") == "1"  # type: ignore[attr-defined]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _data(request: HttpRequest) -> dict[str, list[str]]:
    return {key: request.POST.getlist(key) for key in request.POST}


def _context(
    state: PageState, structure: Structure, extra: dict[str, Any], *, saved: bool = False
) -> dict[str, Any]:
    return {**extra, "state": state, "structure": structure, "saved": saved}
