import logging
from collections.abc import Callable

from django import db
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


class DatabaseUnavailableMiddleware:
    """A request that loses the database (PostgreSQL restarting, a failover, a dropped
    connection) is answered 503 with ``Retry-After``, saying so in the user's language, instead
    of a server error: the transaction it was in was rolled back, and trying again shortly is
    the right thing to do. The next request connects afresh
    (``CONN_HEALTH_CHECKS``)."""

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
