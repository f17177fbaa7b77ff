"""The award night's public pages: the event, the live page that updates as winners are
revealed on stage, the winners page with its downloads, and each winner's diploma.

Every page answers 404 to the public until the event leaves draft; finalists appear from their
time, each winner once revealed. Anonymous pages are cached under the awards visibility version
(``kundeservice.caching``), which each reveal moves in its own transaction, and every request —
cache hits included — first asks the database whether the event is public and what it shows.
"""

import csv
import io
import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from awards import selectors
from awards.diplomas import diploma_pdf
from awards.models import AwardEvent, EventState, TicketShop
from awards.selectors import AWARDS_NAMESPACE
from kundeservice.caching import cached_for_the_public
from kundeservice.markdown import render_markdown
from kundeservice.spreadsheets import safe_cell


def _token(*, slug: str, **_kwargs: Any) -> str | None:
    return selectors.public_token(slug=slug)


_cached = cached_for_the_public(namespace=AWARDS_NAMESPACE, visible=_token)


def _event(request: HttpRequest, slug: str) -> tuple[AwardEvent, bool]:
    """The event, if the reader may see it; and whether they manage the award (a preview)."""
    event = selectors.event_for(slug=slug, user=request.user)
    if event is None:
        raise Http404(_("There is no such award night."))
    return event, selectors.is_award_manager(request.user)


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    events = AwardEvent.objects.exclude(state=EventState.DRAFT).order_by("-starts_at")
    return render(request, "awards/event_list.html", {"events": events})


@require_GET
@_cached
def event_page(request: HttpRequest, slug: str) -> HttpResponse:
    event, manager = _event(request, slug)
    shown = selectors.public_event(event, manager=manager)
    return render(
        request,
        "awards/event.html",
        {
            "event": event,
            "shown": shown,
            "description": render_markdown(event.display_description),
            "is_preview": manager and not event.is_public,
            "sells_tickets": TicketShop.objects.filter(event=event).exists(),
        },
    )


@require_GET
@_cached
def live_page(request: HttpRequest, slug: str) -> HttpResponse:
    event, _manager = _event(request, slug)
    shown = selectors.public_event(event)
    token = selectors.public_token(slug=slug)
    return render(
        request,
        "awards/live.html",
        {"event": event, "shown": shown, "etag": selectors.live_etag(token) if token else ""},
    )


@require_GET
def live_feed(request: HttpRequest, slug: str) -> HttpResponse:
    """The revealed categories as an HTML fragment the live page polls. An unchanged state
    answers 304 after two small queries; the page replaces its list only on a change."""
    token = selectors.public_token(slug=slug)
    if token is None:
        raise Http404(_("There is no such award night."))
    etag = selectors.live_etag(token)
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        event = AwardEvent.objects.get(slug=slug)
        shown = selectors.public_event(event)
        response = render(request, "awards/live_feed.html", {"event": event, "shown": shown})
    response["ETag"] = etag
    patch_cache_control(response, no_cache=True, private=True)
    return response


@require_GET
@_cached
def winners_page(request: HttpRequest, slug: str) -> HttpResponse:
    event, _manager = _event(request, slug)
    shown = selectors.public_event(event)
    wanted = request.GET.get("download")
    if wanted:
        if wanted != "winners":
            raise Http404(_("This page has no table called %(name)s.") % {"name": wanted})
        return _download(request, event, shown)
    return render(request, "awards/winners.html", {"event": event, "shown": shown})


#: The downloads' columns: every public fact of every category.
COLUMNS = [
    "category",
    "decided_by",
    "place",
    "entrant",
    "org_number",
    "winner",
    "value",
    "n",
    "ci_low",
    "ci_high",
    "statistically_tied",
]


def _records(shown: selectors.PublicEvent) -> list[dict[str, Any]]:
    records = []
    for item in shown.categories:
        for placement in item.finalists:
            records.append(
                {
                    "category": item.category.display_name,
                    "decided_by": item.category.kind,
                    "place": placement.position,
                    "entrant": placement.entrant_name,
                    "org_number": placement.company.org_number if placement.company else "",
                    "winner": item.winner is not None and placement.pk == item.winner.pk,
                    "value": placement.value,
                    "n": placement.n,
                    "ci_low": placement.ci_low,
                    "ci_high": placement.ci_high,
                    "statistically_tied": placement.statistically_tied,
                }
            )
    return records


def _download(
    request: HttpRequest, event: AwardEvent, shown: selectors.PublicEvent
) -> HttpResponse:
    records = _records(shown)
    name = f"{event.slug}-{_('winners')}"
    if request.GET.get("format") == "json":
        response: HttpResponse = JsonResponse(
            {"event": event.slug, "categories": records}, json_dumps_params={"indent": 1}
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response
    if request.GET.get("format", "csv") != "csv":
        raise Http404(_("Download as csv or json."))
    # As Excel opens it where the reader lives: ; and decimal comma in Norwegian, a BOM for
    # UTF-8; figures rounded as published; text that would run as a formula quoted.
    norwegian = (get_language() or "nb").startswith("nb")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if norwegian else ",")
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerow([_cell(record[c], norwegian) for c in COLUMNS])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _cell(value: Any, norwegian: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text.replace(".", ",") if norwegian else text
    return safe_cell(value)


@require_GET
def diploma(request: HttpRequest, slug: str, category: int) -> HttpResponse:
    """A revealed winner's diploma; 404 until the winner is public."""
    event, manager = _event(request, slug)
    shown = selectors.public_event(event, manager=manager)
    item = next((c for c in shown.categories if c.category.pk == category), None)
    if item is None or item.winner is None:
        raise Http404(_("There is no diploma here."))
    pdf = diploma_pdf(category=item.category, winner=item.winner)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"{event.slug}-{item.category.pk}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    if not item.category.is_revealed:  # a manager's preview: never kept by a shared cache
        patch_cache_control(response, private=True, no_store=True)
    return response
