from functools import partial
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url

from kundeservice.roles import STAFF_ROLES, Role, user_has_role


def site(request: HttpRequest) -> dict[str, Any]:
    """Site name, the language switcher's links and which consoles the user may open.

    Every rendered page runs this, and pages that do not show a value (a respondent's page has
    its own language links and no menu) should not pay for it: the links (a resolve and a
    reverse for each language) and the roles are callables, which the template calls only where
    it reads them."""
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "language_links": partial(_language_links, request),
        "can_open_staff": partial(user_has_role, user, *STAFF_ROLES),
        "can_open_observer": partial(user_has_role, user, Role.OBSERVER),
    }


def _language_links(request: HttpRequest) -> list[dict[str, Any]]:
    path = request.get_full_path()
    return [
        {"code": code, "name": name, "url": translate_url(path, code)}
        for code, name in settings.LANGUAGES
    ]
