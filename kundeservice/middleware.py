from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


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
