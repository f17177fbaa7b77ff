import logging
from collections.abc import Callable

from django import db
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class ApiLanguageMiddleware:
    """Let API clients choose nb or en with Accept-Language.

    Pages outside ``i18n_patterns`` get Norwegian from LocaleMiddleware (the unprefixed URL is the
    default language); the API has no language prefix, so it honours the header instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if request.path_info.startswith("/api/"):
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class SiteUrlFromRequestMiddleware:
    """Development only: links in e-mails point where the site is actually served.

    Without ``SITE_URL`` in the environment (production refuses to start so), the dev server
    takes the scheme, host and port of the requests it answers, so an invitation sent from
    ``make run HOST=0.0.0.0 PORT=8080`` opened on a phone links to the same address. It does
    nothing unless ``DEBUG`` is on (never in production, nor in tests).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG and settings.SITE_URL_FROM_REQUEST:
            served = f"{request.scheme}://{request.get_host()}"
            if served != settings.SITE_URL:
                settings.SITE_URL = served
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A request that loses the database (PostgreSQL restarting, a failover, a dropped
    connection) is answered 503 with ``Retry-After``, saying so in the user's language, instead
    of a server error: the transaction it was in was rolled back, and trying again shortly is
    the right thing to do. Django closes the broken connection at the end of the request, so
    the next one connects afresh."""

    RETRY_AFTER = 5

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (db.OperationalError, db.InterfaceError)):
            return None
        logger.error("database unavailable: %s %s", request.method, request.path, exc_info=True)
        message = _("The service is briefly unavailable. Please try again in a moment.")
        response: HttpResponse
        if request.path_info.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = render(request, "503.html", status=503)
        response["Retry-After"] = str(self.RETRY_AFTER)
        return response
