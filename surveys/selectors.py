"""Reads shared by views, the API and the award app."""

from django.db import connection
from django.db.models import Count, Q, QuerySet

from surveys.models import Company, Industry


def industries_with_company_counts() -> QuerySet[Industry]:
    """Industries in display order, each with ``company_count`` of its active companies."""
    return Industry.objects.annotate(
        company_count=Count("companies", filter=Q(companies__is_active=True))
    ).order_by("position", "name")


def companies_list(
    *,
    industry: str | None = None,
    channel: str | None = None,
    search: str | None = None,
    include_inactive: bool = False,
) -> QuerySet[Company]:
    """Companies with their industry, filtered by industry slug, channel offered and a name or
    organisation-number search."""
    qs = Company.objects.select_related("industry").order_by("name")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if industry:
        qs = qs.filter(industry__slug=industry)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(org_number__startswith=search.strip()))
    if channel:
        qs = _offering(qs, channel)
    return qs


def _offering(qs: QuerySet[Company], channel: str) -> QuerySet[Company]:
    if connection.features.supports_json_field_contains:
        return qs.filter(channels__contains=[channel])
    # SQLite (the embedded default) cannot query inside JSON lists; the catalog is small.
    ids = [pk for pk, channels in qs.values_list("pk", "channels") if channel in channels]
    return qs.filter(pk__in=ids)
