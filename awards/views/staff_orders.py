"""Staff console: an event's orders (search, filters, detail with history, resend, cancel,
refund, mark paid, change attendee), exports, bank statements and the sales dashboard."""

import csv
import io
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from openpyxl import Workbook

from awards.models import AwardEvent, Invoice, Order, TicketShop
from awards.selectors import (
    ORDER_FILTERS,
    order_for_staff,
    orders_for_staff,
    sales_summary,
    tickets_for_export,
)
from awards.services import orders as order_services
from awards.services.documents import invoice_filename, invoice_pdf
from awards.services.ehf import invoice_ehf
from awards.services.invoices import bank_statement_import, invoice_mark_paid
from awards.services.money import kroner
from awards.views.staff_tickets import TICKET_ROLES
from kundeservice.errors import DomainError, ImportRejected
from kundeservice.roles import role_required
from kundeservice.spreadsheets import safe_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_http_methods(["GET"])
@role_required(*TICKET_ROLES)
def order_list(request: HttpRequest, event_pk: int) -> HttpResponse:
    event = get_object_or_404(AwardEvent, pk=event_pk)
    search = request.GET.get("q", "")[:100]
    show = request.GET.get("show", "")
    show = show if show in ORDER_FILTERS else ""
    orders = orders_for_staff(event=event, search=search, show=show)
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    context = {
        "event": event,
        "page": page,
        "search": search,
        "show": show,
        "filters": {"q": search, "show": show},
        "choices": [
            ("", _("All")),
            ("paid", _("Paid")),
            ("pending", _("Not yet paid")),
            ("overdue", _("Invoice overdue")),
            ("cancelled", _("Cancelled or expired")),
        ],
    }
    return render(request, "awards/staff/order_list.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*TICKET_ROLES)
def order_detail(request: HttpRequest, event_pk: int, code: str) -> HttpResponse:
    event = get_object_or_404(AwardEvent, pk=event_pk)
    order = order_for_staff(event=event, code=code)
    if order is None:
        raise Http404
    if request.method == "POST":
        try:
            done = _order_action(request, order)
        except DomainError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done)
        return redirect("staff-order-detail", event_pk=event.pk, code=order.code)
    context = {
        "event": event,
        "order": order,
        "can_refund": order.payments.filter(status="paid").exists(),
        "unpaid_invoice": next(
            (i for i in order.invoices.all() if not i.is_credit_note and i.paid_at is None), None
        ),
    }
    return render(request, "awards/staff/order_detail.html", context)


def _order_action(request: HttpRequest, order: Order) -> str:
    action = request.POST.get("action")
    user = request.user
    if action == "resend":
        order_services.order_resend(order=order, actor=user)
        return _("The confirmation is being sent again.")
    if action in {"cancel", "refund"}:
        order_services.order_cancel(
            order=order,
            actor=user,
            reason=request.POST.get("reason", ""),
            refund=action == "refund",
        )
        return _("The order is cancelled.")
    if action == "mark_paid":
        invoice = get_object_or_404(Invoice, order=order, pk=_int(request.POST.get("invoice")))
        invoice_mark_paid(invoice=invoice, actor=user)
        return _("The invoice is marked paid.")
    if action == "attendee":
        ticket = get_object_or_404(order.tickets, position=_int(request.POST.get("position")))
        order_services.attendee_change(
            ticket=ticket,
            attendee=order_services.Attendee(
                name=request.POST.get("name", ""),
                email=request.POST.get("email", ""),
                company=request.POST.get("company", ""),
                dietary=request.POST.get("dietary", ""),
            ),
            actor=user,
        )
        return _("The attendee is changed.")
    raise DomainError(_("Unknown action."), code="action")


@require_http_methods(["GET"])
@role_required(*TICKET_ROLES)
def invoice_document(
    request: HttpRequest, event_pk: int, code: str, number: int, format: str
) -> HttpResponse:
    if format not in {"pdf", "xml"}:
        raise Http404
    invoice = get_object_or_404(
        Invoice.objects.select_related("credited_invoice"),
        order__event_id=event_pk,
        order__code=code.upper()[:12],
        number=number,
    )
    if format == "xml":
        content, media = invoice_ehf(invoice), "application/xml"
    else:
        content, media = invoice_pdf(invoice), "application/pdf"
    return _file(content, invoice_filename(invoice, format), media)


@require_http_methods(["GET"])
@role_required(*TICKET_ROLES)
def order_export(request: HttpRequest, event_pk: int) -> HttpResponse:
    """Orders or attendees as CSV or XLSX; text that a spreadsheet would run is quoted."""
    event = get_object_or_404(AwardEvent, pk=event_pk)
    what = "attendees" if request.GET.get("what") == "attendees" else "orders"
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    header, rows = _attendee_rows(event) if what == "attendees" else _order_rows(event)
    return _table(header, rows, f"{event.slug}-{what}", fmt)


def _order_rows(event: AwardEvent) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("Order code"),
        _("Status"),
        _("Payment"),
        _("Company"),
        _("Organisation number"),
        _("Contact person"),
        _("E-mail"),
        _("Your reference"),
        _("Tickets"),
        _("Total incl. MVA"),
        _("Created"),
    ]
    rows = [
        [
            order.code,
            order.get_status_display(),
            order.get_payment_method_display(),
            order.buyer_company,
            order.buyer_org_number,
            order.buyer_name,
            order.buyer_email,
            order.buyer_reference,
            order.ticket_count,  # type: ignore[attr-defined]
            float(kroner(order.total)),
            timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M"),
        ]
        for order in orders_for_staff(event=event)
    ]
    return header, rows


def _attendee_rows(event: AwardEvent) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("Ticket"),
        _("Ticket type"),
        _("Name"),
        _("Company"),
        _("E-mail"),
        _("Dietary needs"),
        _("Buyer"),
        _("Checked in"),
    ]
    rows = [
        [
            ticket.label,
            ticket.ticket_type.name,
            ticket.attendee_name,
            ticket.attendee_company,
            ticket.attendee_email,
            ticket.dietary,
            ticket.order.buyer_company or ticket.order.buyer_name,
            timezone.localtime(ticket.checkin.at).strftime("%Y-%m-%d %H:%M:%S")
            if hasattr(ticket, "checkin")
            else "",
        ]
        for ticket in tickets_for_export(event=event)
    ]
    return header, rows


@require_http_methods(["GET", "POST"])
@role_required(*TICKET_ROLES)
def bank_import(request: HttpRequest, event_pk: int) -> HttpResponse:
    """Upload a bank statement (CSV with KID and amount); fully paid invoices are marked paid."""
    event = get_object_or_404(AwardEvent, pk=event_pk)
    context: dict[str, Any] = {"event": event}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = _("Choose a file.")
            status = 400
        else:
            try:
                context["results"] = bank_statement_import(
                    event=event, content=upload.read(), actor=request.user
                )
            except ImportRejected as exc:
                context["error"] = exc.messages[0]
                context["row_errors"] = exc.row_errors
                status = 400
            except DomainError as exc:
                context["error"] = " ".join(exc.messages)
                status = 400
    return render(request, "awards/staff/bank_import.html", context, status=status)


@require_http_methods(["GET"])
@role_required(*TICKET_ROLES)
def sales_dashboard(request: HttpRequest, event_pk: int) -> HttpResponse:
    event = get_object_or_404(AwardEvent, pk=event_pk)
    shop = get_object_or_404(TicketShop, event=event)
    return render(
        request,
        "awards/staff/sales.html",
        {"event": event, "shop": shop, "summary": sales_summary(shop=shop)},
    )


def _table(header: list[str], rows: list[list[Any]], name: str, fmt: str) -> HttpResponse:
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(safe_row(header))
        for row in rows:
            sheet.append(safe_row(row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return _file(buffer.getvalue(), f"{name}.xlsx", XLSX)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(safe_row(header))
    writer.writerows(safe_row(row) for row in rows)
    return _file(text.getvalue().encode("utf-8-sig"), f"{name}.csv", "text/csv; charset=utf-8")


def _file(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
