"""Open polls at /p/<slug>/ (and /en/p/<slug>/): anonymous, one response per browser.

The browser's key lives in a signed, HttpOnly, SameSite=Lax cookie set on the first visit. A GET
never writes: the response is created by the first answer, so link previews and crawlers leave no
rows. Starting a response and submitting it are rate-limited per client address.
"""

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kundeservice.ratelimits import over_limit
from surveys.models import Response, ResponseSource, ResponseStatus, Wave
from surveys.selectors import (
    poll_by_slug,
    poll_response_for_browser,
    poll_results,
    questionnaire_structure,
)
from surveys.services.polls import (
    browser_key_hash,
    browser_key_new,
    poll_is_open,
    poll_response_start,
)
from surveys.views.answering import answer_pages

COOKIE = "ks_poll"
COOKIE_SALT = "kundeservice.poll-browser"
COOKIE_AGE = timedelta(days=365)


@never_cache
@require_http_methods(["GET", "POST"])
def poll(request: HttpRequest, slug: str) -> HttpResponse:
    wave = poll_by_slug(slug=slug[:80])
    if wave is None:
        return _problem(request, None, "unknown", status=404)
    key = request.get_signed_cookie(COOKIE, default=None, salt=COOKIE_SALT)
    response = None
    if key:
        key_hash = browser_key_hash(wave_id=wave.pk, browser_key=key)
        response = poll_response_for_browser(wave=wave, key_hash=key_hash)
    if response is not None and response.is_final:
        return _done(request, wave, response)
    if not poll_is_open(wave=wave):
        return _problem(request, wave, "closed", status=410)
    new_key = None
    if not key:  # no cookie, or one whose signature fails: a browser new to us
        key = new_key = browser_key_new()
    language = get_language() or "nb"
    if request.method == "POST":
        if response is None:
            if over_limit(request, group="poll-start", rate=settings.POLL_RATE):
                return _too_many(request, wave)
            response = poll_response_start(wave=wave, browser_key=key, language=language)
        if request.POST.get("action") in {"submit", "finish"} and over_limit(
            request, group="poll-submit", rate=settings.POLL_RATE
        ):
            return _too_many(request, wave)
        if response.language != language:
            response.language = language
            response.save(update_fields=["language"])
    elif response is None:
        # Shown, not stored: the first answer creates the response.
        response = Response(wave=wave, source=ResponseSource.OPEN_LINK, language=language)
    page = answer_pages(
        request,
        response,
        done_url=f"{request.path}?sent=1",
        context={"poll": wave, "open_link": True},
    )
    if new_key:
        page.set_signed_cookie(
            COOKIE,
            new_key,
            salt=COOKIE_SALT,
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return page


def _done(request: HttpRequest, wave: Wave, response: Response) -> HttpResponse:
    """Thank you (just sent) or already answered (a later visit), with the result when shown."""
    result = None
    counted = response.status in {ResponseStatus.SUBMITTED, ResponseStatus.APPROVED}
    if wave.show_results and counted:
        structure = questionnaire_structure(questionnaire=wave.questionnaire)
        result = poll_results(wave=wave, structure=structure, fresh_after=response.submitted_at)
    context = {
        "poll": wave,
        "open_link": True,
        "response": response,
        "just_sent": request.GET.get("sent") == "1",
        "result": result,
        "is_open": poll_is_open(wave=wave),
    }
    return render(request, "surveys/respond/poll_done.html", context)


def _problem(request: HttpRequest, wave: Wave | None, reason: str, *, status: int) -> HttpResponse:
    return render(
        request,
        "surveys/respond/poll_problem.html",
        {"poll": wave, "open_link": True, "reason": reason},
        status=status,
    )


def _too_many(request: HttpRequest, wave: Wave) -> HttpResponse:
    return render(
        request, "surveys/respond/poll_limited.html", {"poll": wave, "open_link": True}, status=429
    )
