"""Ticket pages' routes: the shop under the event's address, the staff console's orders and
sales, and the door. Included by the project's urls."""

from django.urls import URLPattern, URLResolver, include, path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from awards.views import checkin, shop, staff_orders, staff_tickets

ORDER = "<str:code>/<str:secret>/"

order_patterns: list[URLPattern | URLResolver] = [
    path("", shop.order_page, name="ticket-order"),
    path(format_lazy("{}<int:position>/", _("ticket/")), shop.ticket_download, name="ticket-pdf"),
    path(_("calendar.ics"), shop.calendar, name="ticket-ics"),
    path(
        format_lazy("{}<int:number>/", _("invoice/")),
        shop.invoice_download,
        name="ticket-invoice",
    ),
    path(
        format_lazy("{}<int:position>/", _("attendee/")),
        shop.attendee_edit,
        name="ticket-attendee",
    ),
    path(_("cancel/"), shop.cancellation_request, name="ticket-cancel-request"),
]

shop_patterns: list[URLPattern | URLResolver] = [
    path("", shop.shop, name="ticket-shop"),
    path(_("find-order/"), shop.lookup, name="ticket-lookup"),
    path(_("waiting-list/"), shop.waiting_list, name="ticket-waiting-list"),
    path(format_lazy("{}<str:token>/", _("offer/")), shop.offer, name="ticket-offer"),
    path(ORDER, include(order_patterns)),
]

#: Under the site's language prefix: /prisutdeling/<slug>/billetter/…, /en/award/<slug>/tickets/…
public_patterns: list[URLPattern | URLResolver] = [
    path(format_lazy("{}<slug:slug>/{}", _("award/"), _("tickets/")), include(shop_patterns)),
]

EVENT = "awards/<int:event_pk>/"

#: Under /staff/.
staff_patterns: list[URLPattern | URLResolver] = [
    path("awards/tickets/", staff_tickets.ticket_events, name="staff-ticket-events"),
    path(f"{EVENT}tickets/", staff_tickets.ticket_setup, name="staff-ticket-setup"),
    path(
        f"{EVENT}tickets/types/new/",
        staff_tickets.ticket_type_edit,
        name="staff-ticket-type-create",
    ),
    path(
        f"{EVENT}tickets/types/<int:pk>/",
        staff_tickets.ticket_type_edit,
        name="staff-ticket-type-edit",
    ),
    path(f"{EVENT}tickets/vouchers/new/", staff_tickets.voucher_edit, name="staff-voucher-create"),
    path(
        f"{EVENT}tickets/vouchers/<int:pk>/", staff_tickets.voucher_edit, name="staff-voucher-edit"
    ),
    path(f"{EVENT}orders/", staff_orders.order_list, name="staff-order-list"),
    path(f"{EVENT}orders/export/", staff_orders.order_export, name="staff-order-export"),
    path(f"{EVENT}orders/bank-import/", staff_orders.bank_import, name="staff-bank-import"),
    path(f"{EVENT}orders/<str:code>/", staff_orders.order_detail, name="staff-order-detail"),
    path(
        f"{EVENT}orders/<str:code>/invoices/<int:number>.<str:format>",
        staff_orders.invoice_document,
        name="staff-invoice-document",
    ),
    path(f"{EVENT}sales/", staff_orders.sales_dashboard, name="staff-sales-dashboard"),
    path("checkin/", checkin.checkin_events, name="checkin-events"),
    path("checkin/<int:event_pk>/", checkin.scanner, name="checkin-scanner"),
    path("checkin/<int:event_pk>/search/", checkin.search, name="checkin-search"),
    path("checkin/<int:event_pk>/counter/", checkin.counter, name="checkin-counter"),
    path("checkin/<int:event_pk>/export/", checkin.checkin_export, name="checkin-export"),
]
