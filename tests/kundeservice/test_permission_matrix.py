"""Every URL pattern × every role → the status it must answer.

A URL added without an entry here fails ``test_every_url_has_an_entry``: deciding who may open
a page is part of adding it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kundeservice.models import Job
from kundeservice.roles import CATALOG_ROLES, STAFF_ROLES, Role
from surveys.models import Invitation
from surveys.services.responding import response_for_token, token_hash
from surveys.views.staff_panels import PANEL_ROLES
from tests.factories import (
    CompanyFactory,
    IndustryFactory,
    PanelistFactory,
    UserFactory,
    WaveFactory,
    invite,
)

ANON = "anonymous"
ROLES = [ANON, *(r.value for r in Role)]


@dataclass
class Entry:
    expect: dict[str, int]
    method: str = "get"
    kwargs: Callable[[], dict[str, Any]] = field(default=lambda: {})
    data: dict[str, Any] | None = None
    multipart: bool = False  # API bodies are JSON unless the endpoint takes a file


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def html_for(roles: tuple[Role, ...], ok: int = 200) -> dict[str, int]:
    """HTML page: anonymous users are sent to log in, other roles are refused."""
    allowed = {r.value for r in roles}
    return {role: ok if role in allowed else (302 if role == ANON else 403) for role in ROLES}


def api_write(roles: tuple[Role, ...], ok: int) -> dict[str, int]:
    """API write: anonymous must authenticate (401), other roles are refused (403)."""
    allowed = {r.value for r in roles}
    return {role: ok if role in allowed else (401 if role == ANON else 403) for role in ROLES}


def draft_response() -> Any:
    return response_for_token(token=invite(WaveFactory()))


def industry_kwargs() -> dict[str, Any]:
    return {"slug": IndustryFactory().slug}


def company_kwargs() -> dict[str, Any]:
    return {"slug": CompanyFactory().slug}


MATRIX: dict[str, Entry] = {
    # Site shell
    "home": Entry(everyone(200)),
    "healthz": Entry(everyone(200)),
    "set_language": Entry(everyone(302), method="post", data={"language": "en", "next": "/"}),
    "login": Entry({**everyone(302), ANON: 200}),
    "logout": Entry(everyone(302), method="post"),
    "password_reset": Entry(everyone(200)),
    "password_reset_done": Entry(everyone(200)),
    "password_reset_confirm": Entry(everyone(200), kwargs=lambda: {"uidb64": "MQ", "token": "x-y"}),
    "password_reset_complete": Entry(everyone(200)),
    "admin:index": Entry(everyone(302)),
    # Respondents: the token is the credential; no login needed or used
    "respond": Entry(everyone(200), kwargs=lambda: {"token": invite(WaveFactory())}),
    "unsubscribe": Entry(everyone(200), kwargs=lambda: {"token": invite(WaveFactory())}),
    # Staff console
    "staff-dashboard": Entry(html_for(STAFF_ROLES)),
    "staff-company-list": Entry(html_for(CATALOG_ROLES)),
    "staff-company-import": Entry(html_for(CATALOG_ROLES)),
    "staff-job-progress": Entry(
        html_for(STAFF_ROLES), kwargs=lambda: {"pk": Job.objects.create(kind="x").pk}
    ),
    "staff-panel-import": Entry(html_for(PANEL_ROLES)),
    "staff-wave-list": Entry(html_for(PANEL_ROLES)),
    "staff-wave-detail": Entry(html_for(PANEL_ROLES), kwargs=lambda: {"pk": WaveFactory().pk}),
    "staff-wave-invite": Entry(
        html_for(PANEL_ROLES, ok=302),
        method="post",
        kwargs=lambda: {"pk": WaveFactory().pk},
        data={"seed": 1},
    ),
    "staff-response-list": Entry(html_for(PANEL_ROLES), kwargs=lambda: {"pk": WaveFactory().pk}),
    "staff-response-detail": Entry(
        html_for(PANEL_ROLES), kwargs=lambda: {"pk": draft_response().pk}
    ),
    "staff-wave-send": Entry(
        html_for(PANEL_ROLES, ok=302), method="post", kwargs=lambda: {"pk": WaveFactory().pk}
    ),
    # API documentation
    "api-schema": Entry(everyone(200)),
    "api-docs": Entry(everyone(200)),
    "api-token": Entry(everyone(400), method="post", data={}),
    "api-root": Entry(everyone(200)),
    # Catalog API: public reads, catalog staff writes
    "industry-list": Entry(everyone(200)),
    "industry-detail": Entry(everyone(200), kwargs=industry_kwargs),
    "company-list": Entry(everyone(200)),
    "company-detail": Entry(everyone(200), kwargs=company_kwargs),
    "company-import-file": Entry(
        api_write(CATALOG_ROLES, 400), method="post", data={}, multipart=True
    ),
    # Panels API: panel managers and staff admins only, reads included (personal data)
    "questionnaire-list": Entry(api_write(PANEL_ROLES, 200)),
    "questionnaire-detail": Entry(
        api_write(PANEL_ROLES, 200), kwargs=lambda: {"pk": WaveFactory().questionnaire_id}
    ),
    "study-list": Entry(api_write(PANEL_ROLES, 200)),
    "study-detail": Entry(
        api_write(PANEL_ROLES, 200), kwargs=lambda: {"pk": WaveFactory().study_id}
    ),
    "wave-list": Entry(api_write(PANEL_ROLES, 200)),
    "wave-detail": Entry(api_write(PANEL_ROLES, 200), kwargs=lambda: {"pk": WaveFactory().pk}),
    "wave-invite": Entry(
        api_write(PANEL_ROLES, 201), method="post", kwargs=lambda: {"pk": WaveFactory().pk}, data={}
    ),
    "wave-send": Entry(
        api_write(PANEL_ROLES, 400), method="post", kwargs=lambda: {"pk": WaveFactory().pk}
    ),
    "panelist-list": Entry(api_write(PANEL_ROLES, 200)),
    "panelist-detail": Entry(
        api_write(PANEL_ROLES, 200), kwargs=lambda: {"pk": PanelistFactory().pk}
    ),
    "panelist-import-file": Entry(
        api_write(PANEL_ROLES, 400), method="post", data={}, multipart=True
    ),
    "panelist-erase": Entry(
        api_write(PANEL_ROLES, 200), method="post", kwargs=lambda: {"pk": PanelistFactory().pk}
    ),
    "panelist-export-data": Entry(
        api_write(PANEL_ROLES, 200), kwargs=lambda: {"pk": PanelistFactory().pk}
    ),
    "invitation-list": Entry(api_write(PANEL_ROLES, 200)),
    "invitation-detail": Entry(
        api_write(PANEL_ROLES, 200),
        kwargs=lambda: {
            "pk": Invitation.objects.get(token_hash=token_hash(invite(WaveFactory()))).pk
        },
    ),
    "response-list": Entry(api_write(PANEL_ROLES, 200)),
    "response-detail": Entry(
        api_write(PANEL_ROLES, 200), kwargs=lambda: {"pk": draft_response().pk}
    ),
    "response-invalidate": Entry(
        api_write(PANEL_ROLES, 400),
        method="post",
        kwargs=lambda: {"pk": draft_response().pk},
        data={"reason": "test"},
    ),
    # The token is the credential: anyone holding it may submit (400: no answers sent)
    "api-respond-submit": Entry(
        everyone(400), method="post", kwargs=lambda: {"token": invite(WaveFactory())}, data={}
    ),
}
# Writes on the same routes are checked separately: one route name, several methods.
WRITES: list[tuple[str, str, Entry]] = [
    ("industry-list", "post", Entry(api_write(CATALOG_ROLES, 400), method="post", data={})),
    ("company-list", "post", Entry(api_write(CATALOG_ROLES, 400), method="post", data={})),
    (
        "company-detail",
        "patch",
        Entry(
            api_write(CATALOG_ROLES, 200),
            method="patch",
            kwargs=company_kwargs,
            data={"website": "https://ny.example.no"},
        ),
    ),
    (
        "industry-detail",
        "delete",
        Entry(api_write(CATALOG_ROLES, 204), method="delete", kwargs=industry_kwargs),
    ),
]


def all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or namespace
                if pattern.namespace == "admin":
                    names.add("admin:index")  # Django's own admin guards itself
                    continue
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern):
                if pattern.name is None:
                    raise AssertionError(f"URL pattern without a name: {pattern.pattern}")
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return names


def test_every_url_has_an_entry() -> None:
    names = all_url_names()
    missing = names - MATRIX.keys()
    stale = MATRIX.keys() - names
    assert not missing, f"URLs without a permission-matrix entry: {sorted(missing)}"
    assert not stale, f"Matrix entries for URLs that no longer exist: {sorted(stale)}"


def request_as(client: Any, role: str, entry: Entry, name: str) -> int:
    if role != ANON:
        client.force_login(UserFactory(roles=[role]))
    url = reverse(name, kwargs=entry.kwargs())
    call = getattr(client, entry.method)
    if entry.method == "get":
        response = call(url)
    elif url.startswith("/api/") and not entry.multipart:
        response = call(url, data=entry.data or {}, content_type="application/json")
    else:
        response = call(url, data=entry.data or {})
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_route_answers_each_role(client: Any, name: str, role: str) -> None:
    entry = MATRIX[name]
    assert request_as(client, role, entry, name) == entry.expect[role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "entry"), WRITES, ids=[f"{n}-{m}" for n, m, _ in WRITES]
)
def test_writes_answer_each_role(
    client: Any, name: str, method: str, entry: Entry, role: str
) -> None:
    assert request_as(client, role, entry, name) == entry.expect[role]
