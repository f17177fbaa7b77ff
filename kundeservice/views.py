from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kundeservice.health import run_checks
from kundeservice.models import Job
from kundeservice.roles import STAFF_ROLES, Role, role_required, user_has_role
from surveys import result_selectors, selectors


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The front door: each study's latest published figures, the industries (linked to their
    latest results), the channels compared, and the polls open today."""
    studies = result_selectors.front_page()
    industry_pages: dict[int | None, tuple[Any, Any]] = {}
    for study in studies:
        for row in study.industries:
            if row.industry_id is not None:
                industry_pages.setdefault(row.industry_id, (study.published.wave, row))
    industries = [
        (industry, *industry_pages.get(industry.pk, (None, None)))
        for industry in selectors.industries_with_company_counts()
    ]
    return render(
        request,
        "home.html",
        {"studies": studies, "industries": industries, "polls": selectors.open_polls()},
    )


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for ``/favicon.ico`` on every first visit (and for non-HTML pages)."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, cache and broker status as JSON; 503 when any is down. What went wrong is
    spelled out to staff only (load balancers need the status, not our addresses)."""
    ok, checks = run_checks(details=user_has_role(request.user, *STAFF_ROLES))
    return JsonResponse(
        {"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503
    )


@require_GET
@role_required(*STAFF_ROLES)
def staff_dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/dashboard.html",
        {"is_staff_admin": user_has_role(request.user, Role.STAFF_ADMIN)},
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: JSON for API clients, the site's page for people."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: JSON for API clients; a static page for people (the template must not fail too)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    return render(request, "500.html", status=500)


@require_GET
@role_required(*STAFF_ROLES)
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's progress bar; htmx polls it while the job runs."""
    job = get_object_or_404(Job, pk=pk)
    return render(request, "partials/job_progress.html", {"job": job})
