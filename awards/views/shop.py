"""The ticket shop at the event's address (/prisutdeling/<slug>/billetter/, /en/award/…):
choose tickets, give details and attendees, pay; later, the buyer's own order page.

The buyer's link (code and a secret) is their key to the order: no account is needed. A
reservation made from the form carries the form's random key, so a double click or a
resubmission reserves once.
"""

import secrets
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from awards.models import AwardEvent, Order, OrderStatus, PaymentMethod, Ticket, Voucher
from awards.selectors import (
    CHECKOUT_PREFETCH,
    ORDER_PAGE_PREFETCH,
    ShopState,
    event_with_shop,
    order_by_code_and_email,
    order_for_buyer,
    shop_rows,
    shop_state,
)
from awards.services import orders as order_services
from awards.services.documents import (
    invoice_filename,
    invoice_pdf,
    order_ics,
    ticket_filename,
    ticket_pdf,
)
from awards.services.payments import card_provider
from awards.services.waitinglist import offer_for_token, waiting_list_join
from kundeservice.errors import DomainError
from kundeservice.numbers import ascii_digits
from kundeservice.pagecache import RenderedPages, field_values
from kundeservice.ratelimits import (
    failure_count,
    failures_wait,
    over_limit,
    too_many_attempts_message,
)

PDF = "application/pdf"
INVOICE_CHOICE = (PaymentMethod.INVOICE, gettext_lazy("Invoice (with organisation number)"))
CARD_CHOICE = (PaymentMethod.CARD, gettext_lazy("Card"))


class CheckoutForm(forms.Form):
    """The buyer, how they pay, and one attendee per ticket. The service validates; the form
    only carries the fields and shows the service's messages beside them."""

    method = forms.ChoiceField(
        label=gettext_lazy("How do you want to pay?"),
        choices=[INVOICE_CHOICE, CARD_CHOICE],
        widget=forms.RadioSelect,
        initial=PaymentMethod.INVOICE,
        required=False,
    )
    name = forms.CharField(label=gettext_lazy("Contact person"), max_length=200, required=False)
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    company = forms.CharField(label=gettext_lazy("Company"), max_length=200, required=False)
    org_number = forms.CharField(
        label=gettext_lazy("Organisation number"), max_length=20, required=False
    )
    street = forms.CharField(label=gettext_lazy("Invoice address"), max_length=200, required=False)
    postcode = forms.CharField(label=gettext_lazy("Postcode"), max_length=10, required=False)
    city = forms.CharField(label=gettext_lazy("City"), max_length=100, required=False)
    reference = forms.CharField(
        label=gettext_lazy("Your reference or order number"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Printed on the invoice, e.g. a purchase order number."),
    )
    wants_ehf = forms.BooleanField(
        label=gettext_lazy("Send the invoice as EHF (public-sector buyers)"), required=False
    )
    BUYER = (
        "name",
        "email",
        "phone",
        "company",
        "org_number",
        "street",
        "postcode",
        "city",
        "reference",
        "wants_ehf",
    )
    AUTOCOMPLETE = {
        "name": "name",
        "email": "email",
        "phone": "tel",
        "company": "organization",
        "street": "street-address",
        "postcode": "postal-code",
        "city": "address-level2",
    }

    def __init__(self, *args: Any, tickets: list[Ticket], card: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        method = self.fields["method"]
        if not card and isinstance(method, forms.ChoiceField):
            method.choices = [INVOICE_CHOICE]
        for name, token in self.AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = token
        self.fields["email"].widget.input_type = "email"
        self.fields["phone"].widget.input_type = "tel"
        self.fields["org_number"].widget.attrs["inputmode"] = "numeric"
        self.attendee_groups = []
        for ticket in tickets:
            prefix = f"attendee-{ticket.position}-"
            group = []
            for field, attribute, label in (
                ("name", "attendee_name", gettext_lazy("Name")),
                ("email", "attendee_email", gettext_lazy("E-mail (optional)")),
                ("company", "attendee_company", gettext_lazy("Company (optional)")),
                ("dietary", "dietary", gettext_lazy("Dietary needs (optional)")),
            ):
                self.fields[prefix + field] = forms.CharField(
                    label=label,
                    max_length=300,
                    required=False,
                    initial=getattr(ticket, attribute),
                    widget=forms.TextInput(attrs={"autocomplete": "off"}),
                )
                group.append(prefix + field)
            self.attendee_groups.append((ticket, [self[name] for name in group]))

    @property
    def buyer_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.BUYER]

    def buyer(self) -> order_services.Buyer:
        data = self.cleaned_data
        return order_services.Buyer(
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            company=data["company"],
            org_number=data["org_number"],
            street=data["street"],
            postcode=data["postcode"],
            city=data["city"],
            reference=data["reference"],
            wants_ehf=data["wants_ehf"],
        )

    def attendees(self) -> list[order_services.Attendee]:
        return [
            order_services.Attendee(
                name=self.cleaned_data[f"attendee-{ticket.position}-name"],
                email=self.cleaned_data[f"attendee-{ticket.position}-email"],
                company=self.cleaned_data[f"attendee-{ticket.position}-company"],
                dietary=self.cleaned_data[f"attendee-{ticket.position}-dietary"],
            )
            for ticket, _fields in self.attendee_groups
        ]

    def add_domain_errors(self, error: DomainError) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class WaitingListForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=200, required=False)
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False)
    quantity = forms.IntegerField(
        label=gettext_lazy("Tickets wanted"), min_value=1, max_value=50, initial=1
    )


class LookupForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Order code"), max_length=12)
    email = forms.EmailField(label=gettext_lazy("E-mail you ordered with"))


def public_event(slug: str) -> AwardEvent:
    """An event the public may see (out of draft) that sells tickets, or 404."""
    event = event_with_shop(slug=slug)
    if event is None or not event.is_public or getattr(event, "ticket_shop", None) is None:
        raise Http404
    return event


@never_cache
@require_http_methods(["GET", "POST"])
def shop(request: HttpRequest, slug: str) -> HttpResponse:
    event = public_event(slug)
    voucher_code = (request.POST.get("voucher") or request.GET.get("voucher") or "").strip()[:40]
    error = None
    status = 200
    state = None
    if request.method == "POST":
        try:
            quantities = {
                int(key.removeprefix("qty-")): int(request.POST.get(key) or 0)
                for key in request.POST
                if key.startswith("qty-")
            }
        except ValueError:
            error, status = _("Choose the number of tickets from the lists."), 400
        else:
            state = shop_state(event=event)  # also the page's rows if the reservation is refused
            try:
                order = order_services.order_reserve(
                    event=event,
                    quantities=quantities,
                    voucher_code=voucher_code,
                    client_key=request.POST.get("client_key", ""),
                    language=get_language() or "nb",
                    state=state,
                )
            except DomainError as exc:
                error, status = " ".join(exc.messages), exc.status_code
            else:
                return redirect(_order_url(order))
    return _shop_page(
        request, event, voucher_code=voucher_code, error=error, status=status, state=state
    )


#: The shop pages this process has rendered (see ``kundeservice.pagecache``).
_SHOP_PAGES = RenderedPages()


def _shop_page(
    request: HttpRequest,
    event: AwardEvent,
    *,
    voucher_code: str = "",
    error: str | None = None,
    status: int = 200,
    waiting_form: WaitingListForm | None = None,
    waiting_type: int | None = None,
    state: ShopState | None = None,
) -> HttpResponse:
    shop = event.ticket_shop
    voucher = (
        Voucher.objects.filter(event=event, code__iexact=voucher_code).first()
        if voucher_code
        else None
    )
    rows = [
        row
        for row in shop_rows(shop=shop, include_hidden=True, state=state)
        if row.ticket_type.is_visible or (voucher and voucher.ticket_type_id == row.ticket_type.pk)
    ]
    on_sale = shop.is_open
    joined = request.GET.get("joined") == "1"
    context = {
        "event": event,
        "shop": shop,
        "rows": rows,
        "on_sale": on_sale,
        "voucher_code": voucher_code,
        "voucher": voucher,
        "voucher_unknown": bool(voucher_code) and voucher is None,
        "error": error,
        "waiting_form": waiting_form or WaitingListForm(),
        "waiting_type": waiting_type,
        "joined": joined,
    }
    # Everything the page shows, for the pages a rush serves over and over (the shop, the
    # sold-out refusal): the same for every anonymous buyer apart from the CSRF token and the
    # form's client key, which are filled in per request.
    key = (
        get_language(),
        request.get_full_path(),
        status,
        error,
        on_sale,
        field_values(event),
        field_values(shop),
        tuple(row.shown for row in rows),
    )
    return _SHOP_PAGES.render(
        request,
        "awards/shop/shop.html",
        context,
        key=key,
        status=status,
        holes={"client_key": lambda: secrets.token_urlsafe(16)},
        cacheable=not voucher_code and waiting_form is None and not joined,
    )


@never_cache
@require_POST
def waiting_list(request: HttpRequest, slug: str) -> HttpResponse:
    event = public_event(slug)
    ticket_type = get_object_or_404(
        event.ticket_types, pk=_int(request.POST.get("ticket_type")), is_visible=True
    )
    form = WaitingListForm(request.POST)
    if form.is_valid():
        try:
            waiting_list_join(
                ticket_type=ticket_type,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                quantity=form.cleaned_data["quantity"],
                language=get_language() or "nb",
            )
        except DomainError as exc:
            if hasattr(exc, "error_dict"):
                for field, messages in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                form.add_error(None, exc.messages)
        else:
            return redirect(reverse("ticket-shop", kwargs={"slug": event.slug}) + "?joined=1")
    return _shop_page(request, event, status=400, waiting_form=form, waiting_type=ticket_type.pk)


@never_cache
@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """A waiting-list offer: the held seats are reserved by a click."""
    event = public_event(slug)
    entry = offer_for_token(event=event, token=token)
    if entry is None:
        raise Http404
    if entry.order is not None:
        return redirect(_order_url(entry.order))
    error = None
    if request.method == "POST":
        try:
            order = order_services.order_reserve(
                event=event,
                quantities={entry.ticket_type_id: entry.quantity},
                language=get_language() or "nb",
                offer=entry,
            )
        except DomainError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect(_order_url(order))
    open_offer = (
        entry.status == "offered"
        and entry.offer_expires_at is not None
        and entry.offer_expires_at > timezone.now()
    )
    return render(
        request,
        "awards/shop/offer.html",
        {"event": event, "entry": entry, "open_offer": open_offer, "error": error},
        status=400 if error else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def order_page(request: HttpRequest, slug: str, code: str, secret: str) -> HttpResponse:
    """The buyer's order: the checkout while reserved, then tickets, invoice and changes."""
    posted = request.method == "POST"
    order = _buyer_order(
        slug, code, secret, prefetch=CHECKOUT_PREFETCH if posted else ORDER_PAGE_PREFETCH
    )
    tickets = list(order.tickets.all())
    card = card_provider() is not None
    form = None
    status = 200
    if order.status == OrderStatus.RESERVED and order.holds_seats():
        form = CheckoutForm(
            request.POST if request.method == "POST" else None, tickets=tickets, card=card
        )
        if request.method == "POST" and form.is_valid():
            try:
                url = order_services.order_checkout(
                    order=order,
                    buyer=form.buyer(),
                    attendees=form.attendees(),
                    method=form.cleaned_data["method"] or PaymentMethod.INVOICE,
                    success_url=request.build_absolute_uri(_order_url(order)) + "?paid=1",
                    cancel_url=request.build_absolute_uri(_order_url(order)),
                )
            except DomainError as exc:
                form.add_domain_errors(exc)
                status = exc.status_code
                order.refresh_from_db()
                if not order.holds_seats():
                    form = None
            else:
                return redirect(url or _order_url(order))
    elif request.method == "POST":
        return redirect(_order_url(order))
    if posted:  # the checkout was refused: the page is shown again with all it shows
        getattr(order, "_prefetched_objects_cache", {}).pop("tickets", None)  # with check-ins
        prefetch_related_objects([order], *ORDER_PAGE_PREFETCH)
        tickets = list(order.tickets.all())
    # Invoices and a cancellation request are shown only on a confirmed order's page: the
    # checkout (most of a rush's order pages) reads neither.
    shows_confirmed = form is None and order.is_valid
    context = {
        "event": order.event,
        "order": order,
        "tickets": tickets,
        "form": form,
        "invoices": list(order.invoices.all()) if shows_confirmed else [],
        "can_change": order.is_valid and timezone.now() < order.event.ticket_shop.changes_deadline,
        "cancellation_requested": shows_confirmed
        and order.events.filter(kind="cancellation_requested").exists(),
        "payment_url": _payment_url(order),
        "just_paid": request.GET.get("paid") == "1",
    }
    partial = request.htmx  # type: ignore[attr-defined]
    template = "awards/shop/order_status.html" if partial else "awards/shop/order.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET"])
def ticket_download(
    request: HttpRequest, slug: str, code: str, secret: str, position: int
) -> HttpResponse:
    order = _buyer_order(slug, code, secret)
    if not order.is_valid:
        raise Http404
    ticket = get_object_or_404(
        order.tickets.select_related("order__event", "ticket_type"), position=position
    )
    return _file(ticket_pdf(ticket), ticket_filename(ticket), PDF)


@require_http_methods(["GET"])
def calendar(request: HttpRequest, slug: str, code: str, secret: str) -> HttpResponse:
    order = _buyer_order(slug, code, secret)
    if not order.is_valid:
        raise Http404
    return _file(order_ics(order), f"{order.event.slug}.ics", "text/calendar")


@require_http_methods(["GET"])
def invoice_download(
    request: HttpRequest, slug: str, code: str, secret: str, number: int
) -> HttpResponse:
    order = _buyer_order(slug, code, secret)
    invoice = get_object_or_404(order.invoices.select_related("credited_invoice"), number=number)
    return _file(invoice_pdf(invoice), invoice_filename(invoice), PDF)


@require_POST
def attendee_edit(
    request: HttpRequest, slug: str, code: str, secret: str, position: int
) -> HttpResponse:
    order = _buyer_order(slug, code, secret)
    ticket = get_object_or_404(order.tickets, position=position)
    try:
        order_services.attendee_change(
            ticket=ticket,
            attendee=order_services.Attendee(
                name=request.POST.get("name", ""),
                email=request.POST.get("email", ""),
                company=request.POST.get("company", ""),
                dietary=request.POST.get("dietary", ""),
            ),
            by_buyer=True,
        )
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_order_url(order))


@require_POST
def cancellation_request(request: HttpRequest, slug: str, code: str, secret: str) -> HttpResponse:
    order = _buyer_order(slug, code, secret)
    try:
        order_services.order_request_cancellation(order=order, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("We have your request and will answer by e-mail."))
    return redirect(_order_url(order))


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest, slug: str) -> HttpResponse:
    """Find an order by its code and the buyer's e-mail (rate limited per client address, and
    wrong e-mails per order code)."""
    event = public_event(slug)
    form = LookupForm(request.POST if request.method == "POST" else None)
    status = 200
    wait = 0
    if request.method == "POST":
        code = ascii_digits(str(request.POST.get("code", ""))).strip().upper()
        # The address is limited on every look-up (over_limit); wrong e-mails also per code.
        limits: dict[str, Any] = {
            "group": "order-lookup",
            "account": code,
            "account_rate": settings.ORDER_LOOKUP_ACCOUNT_RATE,
            "address_rate": None,
        }
        if over_limit(request, group="order-lookup", rate=settings.ORDER_LOOKUP_RATE):
            form.add_error(None, _("Too many attempts. Please wait a while and try again."))
            status = 429
        elif wait := failures_wait(request, **limits):
            form.add_error(None, too_many_attempts_message(wait))
            status = 429
        elif form.is_valid():
            order = order_by_code_and_email(
                event=event, code=form.cleaned_data["code"], email=form.cleaned_data["email"]
            )
            if order is not None:
                return redirect(_order_url(order))
            failure_count(request, **limits)
            form.add_error(None, _("No order has this code and e-mail address."))
            status = 404
        else:
            status = 400
    response = render(
        request, "awards/shop/lookup.html", {"event": event, "form": form}, status=status
    )
    if wait:
        response["Retry-After"] = str(wait)
    return response


def _buyer_order(
    slug: str,
    code: str,
    secret: str,
    prefetch: tuple[str | Prefetch[Any], ...] = ORDER_PAGE_PREFETCH,
) -> Order:
    order = order_for_buyer(code=code, secret=secret, prefetch=prefetch)
    if order is None or order.event.slug != slug:
        raise Http404
    return order


def _order_url(order: Order) -> str:
    return reverse(
        "ticket-order",
        kwargs={"slug": order.event.slug, "code": order.code, "secret": order.secret},
    )


def _payment_url(order: Order) -> str:
    if order.status != OrderStatus.PENDING:
        return ""
    payment = order.payments.filter(status="created").last()
    return payment.checkout_url if payment else ""


def _file(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
