"""The door: a phone page that scans tickets (camera or search) and checks them in through
``POST /api/v1/checkins/``, a live counter, and the check-in list (door staff)."""

import csv
import io

from csp.constants import WASM_UNSAFE_EVAL
from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from awards.models import AwardEvent
from awards.selectors import checkin_count, events_with_shops, tickets_for_export, tickets_search
from kundeservice.roles import Role, role_required
from kundeservice.spreadsheets import safe_row

DOOR_ROLES = (Role.DOOR_STAFF, Role.AWARD_MANAGER, Role.STAFF_ADMIN)


@require_http_methods(["GET"])
@role_required(*DOOR_ROLES)
def checkin_events(request: HttpRequest) -> HttpResponse:
    return render(request, "awards/checkin/events.html", {"events": events_with_shops()})


@never_cache
@require_http_methods(["GET"])
@role_required(*DOOR_ROLES)
# The barcode fallback (zxing WebAssembly) compiles WebAssembly: allowed here only.
@csp_update({"script-src": [WASM_UNSAFE_EVAL]})  # type: ignore[arg-type]  # typed for (request)
def scanner(request: HttpRequest, event_pk: int) -> HttpResponse:
    event = get_object_or_404(AwardEvent, pk=event_pk)
    return render(
        request,
        "awards/checkin/scanner.html",
        {"event": event, "count": checkin_count(event=event)},
    )


@never_cache
@require_http_methods(["GET"])
@role_required(*DOOR_ROLES)
def search(request: HttpRequest, event_pk: int) -> HttpResponse:
    """Tickets matching a name or company (an htmx fragment)."""
    event = get_object_or_404(AwardEvent, pk=event_pk)
    query = request.GET.get("q", "")
    return render(
        request,
        "awards/checkin/search_results.html",
        {"event": event, "tickets": tickets_search(event=event, query=query), "query": query},
    )


@never_cache
@require_http_methods(["GET"])
@role_required(*DOOR_ROLES)
def counter(request: HttpRequest, event_pk: int) -> HttpResponse:
    """Checked in of sold (an htmx fragment polled by the scanner page)."""
    event = get_object_or_404(AwardEvent, pk=event_pk)
    return render(request, "awards/checkin/counter.html", {"count": checkin_count(event=event)})


@require_http_methods(["GET"])
@role_required(*DOOR_ROLES)
def checkin_export(request: HttpRequest, event_pk: int) -> HttpResponse:
    """Every sold ticket and whether, when and where it was checked in (CSV)."""
    event = get_object_or_404(AwardEvent, pk=event_pk)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(safe_row([_("Ticket"), _("Name"), _("Company"), _("Checked in"), _("Device")]))
    for ticket in tickets_for_export(event=event):
        checkin = getattr(ticket, "checkin", None)
        writer.writerow(
            safe_row(
                [
                    ticket.label,
                    ticket.attendee_name,
                    ticket.attendee_company,
                    timezone.localtime(checkin.at).strftime("%Y-%m-%d %H:%M:%S") if checkin else "",
                    checkin.device if checkin else "",
                ]
            )
        )
    response = HttpResponse(text.getvalue().encode("utf-8-sig"), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-checkin.csv"'
    return response
