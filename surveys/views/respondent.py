"""The respondent's pages at /s/<token>/: one section a page, autosave, resume, submit once."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from surveys.services.responding import LinkProblem, response_for_token
from surveys.views.answering import answer_pages

LINK_PROBLEM_STATUS = {"unknown": 404, "expired": 410, "used": 200}


@never_cache
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    language = request.GET.get("lang") or request.POST.get("lang")
    try:
        # A GET (mail link scanners make them too) shows the page without storing anything.
        response = response_for_token(token=token[:100], create=request.method == "POST")
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
        if response.pk is not None:
            response.save(update_fields=["language"])
    with translation.override(response.language):
        return answer_pages(request, response, done_url=request.path)


def _language(requested: str | None, stored: str | None) -> str:
    if requested in {"nb", "en"}:
        return requested
    return stored or "nb"
