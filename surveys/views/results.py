"""Public results pages: a wave's overview, an industry, a company and a channel.

Every table on a page can be downloaded as CSV or JSON (``?download=<table>&format=csv``) with
the same rows the page shows. Pages for anonymous readers are cached (``kundeservice.caching``):
every request, cache hits included, first asks the database whether the wave's results are
public and which set is current, and the key carries the results' visibility version, which
moves in the same transaction as a publish, a hide or a new current set. Staff who run results
may preview unpublished waves (never cached) with a banner saying so.
"""

import csv
import io
from collections.abc import Callable
from typing import Any

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kundeservice.caching import cached_for_the_public
from kundeservice.roles import RESULTS_PREVIEW_ROLES, user_has_role
from kundeservice.spreadsheets import safe_cell
from surveys import result_selectors as results
from surveys.extensions import company_panels
from surveys.models import Company, Industry, ResultRow, Scope
from surveys.models.results import Metric
from surveys.services.aggregation import RESULTS_NAMESPACE
from surveys.stats import round_half_up
from surveys.templatetags.results import row_label


def _any(**_kwargs: Any) -> str:
    return "index"


def _public_set(*, study: str, wave: str, **_kwargs: Any) -> int | None:
    return results.public_result_set_id(study=study, wave=wave)


def _cached(visible: Callable[..., Any]) -> Callable[..., Any]:
    return cached_for_the_public(namespace=RESULTS_NAMESPACE, visible=visible)


def _company_namespaces() -> tuple[str, ...]:
    """A company page also shows what other apps' panels show (the prizes it won)."""
    return (RESULTS_NAMESPACE, *sorted({p.namespace for p in company_panels()}))


def _published(request: HttpRequest, study: str, wave: str) -> results.Published:
    preview = user_has_role(request.user, *RESULTS_PREVIEW_ROLES)
    found = results.published(study=study, wave=wave, preview=preview)
    if found is None:
        raise Http404(_("There are no published results for this wave."))
    return found


def _render(
    request: HttpRequest,
    template: str,
    published: results.Published,
    tables: dict[str, list[ResultRow]],
    context: dict[str, Any],
) -> HttpResponse:
    wanted = request.GET.get("download")
    if wanted:
        return _download(request, published, tables, wanted, context.get("filename", "results"))
    return render(
        request,
        template,
        {
            "published": published,
            "wave": published.wave,
            "result_set": published.result_set,
            "labels": published.labels,
            "is_preview": not published.wave.is_public,
            **context,
        },
    )


@require_GET
@_cached(_any)
def results_index(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/results/index.html", {"sets": results.published_sets()})


@require_GET
@_cached(_public_set)
def results_wave(request: HttpRequest, study: str, wave: str) -> HttpResponse:
    published = _published(request, study, wave)
    overview = results.wave_overview(published)
    return _render(
        request,
        "surveys/results/wave.html",
        published,
        {
            "key-figures": overview.key_rows,
            "industries": overview.industries,
            "groups": overview.groups,
            "top": [row for _industry, top in overview.top for row in top],
            "channels": overview.channels,
            "areas": overview.areas,
            "indicators": overview.indicators,
            "channel-share": overview.channel_share,
        },
        {
            "key_rows": overview.key_rows,
            "industries": overview.top,
            "industry_rows": overview.industries,
            "group_rows": overview.groups,
            "channels": overview.channels,
            "areas": overview.areas,
            "indicators": overview.indicators,
            "channel_share": results.share_matrix(
                overview.channel_share, published.channel_question or ""
            ),
            "filename": f"{published.wave.study.slug}-{published.wave.slug}",
        },
    )


@require_GET
@_cached(_public_set)
def results_industry(request: HttpRequest, study: str, wave: str, industry: str) -> HttpResponse:
    published = _published(request, study, wave)
    the_industry = get_object_or_404(Industry, slug=industry)
    headline = published.headline or ""
    league = results.ranked(
        results.rows(
            published,
            scope=Scope.COMPANY,
            measure=headline,
            metric="mean",
            industry=the_industry.pk,
        )
    )
    overall = results.rows(
        published, scope=Scope.INDUSTRY, measure=headline, metric="mean", industry=the_industry.pk
    )
    channels = results.rows(
        published,
        scope=Scope.INDUSTRY_CHANNEL,
        measure=headline,
        metric="mean",
        industry=the_industry.pk,
    )
    if not league and not overall:
        raise Http404(_("There are no results for this industry in this wave."))
    indicators = results.rows(
        published, scope=Scope.INDUSTRY, measure_prefix="ind:", industry=the_industry.pk
    )
    return _render(
        request,
        "surveys/results/industry.html",
        published,
        {"league": league, "channels": channels, "indicators": indicators},
        {
            "industry": the_industry,
            "league": league,
            "overall": overall[0] if overall else None,
            "channels": channels,
            "indicators": indicators,
            "groups": results.groups_of_industry(published, industry_id=the_industry.pk),
            "filename": f"{published.wave.slug}-{the_industry.slug}",
        },
    )


@require_GET
@cached_for_the_public(namespace=_company_namespaces, visible=_public_set)
def results_company(request: HttpRequest, study: str, wave: str, company: str) -> HttpResponse:
    published = _published(request, study, wave)
    the_company = Company.objects.select_related("industry").filter(slug=company).first()
    if the_company is None:
        return _to_current_slug(request, study, wave, company)
    headline = published.headline or ""
    everything = results.rows(published, scope=Scope.COMPANY, company=the_company.pk)
    if not everything:
        raise Http404(_("There are no results for this company in this wave."))
    main = next((r for r in everything if r.measure == headline and r.metric == "mean"), None)
    channels = results.rows(
        published,
        scope=Scope.COMPANY_CHANNEL,
        measure=headline,
        metric="mean",
        company=the_company.pk,
    )
    areas = [r for r in everything if r.measure.startswith("area:")]
    questions = [r for r in everything if r.measure.startswith("q:") and r is not main]
    indicators = [r for r in everything if r.measure.startswith("ind:")]
    history = results.company_history(published=published, company_id=the_company.pk)
    return _render(
        request,
        "surveys/results/company.html",
        published,
        {
            "channels": channels,
            "areas": areas,
            "questions": questions,
            "indicators": indicators,
            "history": history,
        },
        {
            "company": the_company,
            "panels": [panel.render(request, the_company) for panel in company_panels()],
            "main": main,
            "channels": channels,
            "areas": areas,
            "questions": questions,
            "indicators": indicators,
            "history": history,
            "filename": f"{published.wave.slug}-{the_company.slug}",
        },
    )


def _to_current_slug(request: HttpRequest, study: str, wave: str, company: str) -> HttpResponse:
    """An old link (a slug from before æ, ø and å were spelled out) goes to the company's page
    under its current slug; anything else is a 404."""
    current = results.current_company_slug(company)
    if current is None:
        raise Http404(_("There is no such company."))
    url = reverse("results-company", args=[study, wave, current])
    query = request.GET.urlencode()
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


@require_GET
@_cached(_public_set)
def results_group(request: HttpRequest, study: str, wave: str, group: str) -> HttpResponse:
    published = _published(request, study, wave)
    page = results.group_page(published, slug=group)
    if page is None:
        raise Http404(_("There are no results for this industry group in this wave."))
    return _render(
        request,
        "surveys/results/group.html",
        published,
        {
            "key-figures": page.key_rows,
            "channels": page.channels,
            "industries": page.industries,
            "companies": page.companies,
            "channel-share": page.channel_share,
            "indicators": page.indicators,
        },
        {
            "group": page.group,
            "main": page.main,
            "key_rows": page.key_rows,
            "channels": page.channels,
            "industry_rows": page.industries,
            "companies": page.companies,
            "channel_share": page.channel_share,
            "indicators": page.indicators,
            "filename": f"{published.wave.slug}-{page.group.slug}",
        },
    )


@require_GET
@_cached(_public_set)
def results_channel(request: HttpRequest, study: str, wave: str, channel: str) -> HttpResponse:
    published = _published(request, study, wave)
    code = results.CHANNEL_BY_SLUG.get(channel)
    if code is None:
        raise Http404(_("There is no such channel."))
    headline = published.headline or ""
    league = results.ranked(
        results.rows(
            published, scope=Scope.COMPANY_CHANNEL, measure=headline, metric="mean", channel=code
        )
    )
    overall = results.rows(
        published, scope=Scope.CHANNEL, measure=headline, metric="mean", channel=code
    )
    industries = results.rows(
        published, scope=Scope.INDUSTRY_CHANNEL, measure=headline, metric="mean", channel=code
    )
    if not overall:
        raise Http404(_("There are no results for this channel in this wave."))
    return _render(
        request,
        "surveys/results/channel.html",
        published,
        {"league": league, "industries": industries},
        {
            "channel": code,
            "channel_label": results.channel_label(code),
            "league": league,
            "overall": overall[0],
            "industries": sorted(industries, key=lambda r: -(r.value or 0)),
            "filename": f"{published.wave.slug}-{code}",
        },
    )


# --- Downloads -----------------------------------------------------------------------------

COLUMNS = [
    "label",
    "base",
    "scope",
    "measure",
    "metric",
    "industry_group",
    "industry",
    "company",
    "org_number",
    "channel",
    *results.FIGURE_FIELDS,
    "wave",
    "results_through",
    "provisional",
]


def download_record(published: results.Published, row: ResultRow) -> dict[str, Any]:
    result_set = row.result_set if row.result_set_id != published.result_set.pk else None
    wave = result_set.wave if result_set else published.wave
    cutoff = (result_set or published.result_set).cutoff
    return {
        "label": row_label(row, published.labels),
        "base": published.base(row.measure),
        "scope": row.scope,
        "measure": row.measure,
        "metric": row.metric,
        "industry_group": row.industry_group.slug if row.industry_group else "",
        "industry": row.industry.slug if row.industry else "",
        "company": row.company.name if row.company else "",
        "org_number": row.company.org_number if row.company else "",
        "channel": row.channel,
        **results.public_value(row),
        "wave": f"{wave.study.slug}/{wave.slug}" if result_set is None else wave.slug,
        "results_through": cutoff.isoformat(),
        "provisional": not (result_set or published.result_set).is_final,
    }


def _download(
    request: HttpRequest,
    published: results.Published,
    tables: dict[str, list[ResultRow]],
    wanted: str,
    filename: str,
) -> HttpResponse:
    if wanted not in tables:
        raise Http404(_("This page has no table called %(name)s.") % {"name": wanted})
    records = [download_record(published, row) for row in tables[wanted]]
    name = f"{filename}-{wanted}"
    if request.GET.get("format") == "json":
        as_json = JsonResponse({"table": wanted, "rows": records}, json_dumps_params={"indent": 1})
        as_json["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return as_json
    if request.GET.get("format", "csv") != "csv":
        raise Http404(_("Download as csv or json."))
    # As Excel opens it where the reader lives: a BOM so it reads UTF-8, and in bokmål ";" with
    # a decimal comma; figures rounded as the page shows them (JSON keeps full precision); text
    # that a spreadsheet would run as a formula quoted (a company named "=HYPERLINK(…)").
    norwegian = (get_language() or "nb").startswith("nb")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if norwegian else ",")
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerow([_csv_cell(record, column, norwegian=norwegian) for column in COLUMNS])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


#: Figures printed with the decimals the pages use (NPS in whole points).
ROUNDED = {
    "value": 1,
    "ci_low": 1,
    "ci_high": 1,
    "previous_value": 1,
    "change": 1,
    "change_low": 1,
    "change_high": 1,
    "n_eff": 0,
}


def _csv_cell(record: dict[str, Any], column: str, *, norwegian: bool) -> Any:
    value = record[column]
    if value is None:
        return ""
    if isinstance(value, int):  # and bool
        return value
    if isinstance(value, float):
        decimals = ROUNDED.get(column, 1)
        if record["metric"] == Metric.NPS and decimals:
            decimals = 0
        rounded = round_half_up(value, decimals)
        text = str(abs(rounded) if rounded == 0 else rounded)
        return text.replace(".", ",") if norwegian else text
    return safe_cell(value)
