"""Staff console: an event's ticket sales — the shop's settings, ticket types and vouchers
(award managers and staff admins)."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from awards.models import AwardEvent, TicketShop, TicketType, Voucher
from awards.selectors import events_with_shops
from awards.services.tickets import (
    SHOP_FIELDS,
    TYPE_FIELDS,
    ticket_shop_save,
    ticket_type_save,
    voucher_save,
)
from kundeservice.errors import DomainError
from kundeservice.roles import Role, role_required

TICKET_ROLES = (Role.STAFF_ADMIN, Role.AWARD_MANAGER)
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ShopForm(forms.ModelForm):
    class Meta:
        model = TicketShop
        fields = SHOP_FIELDS
        widgets = {"changes_until": DATETIME}


class TicketTypeForm(forms.ModelForm):
    class Meta:
        model = TicketType
        fields = TYPE_FIELDS
        widgets = {"sales_start": DATETIME, "sales_end": DATETIME}


class VoucherForm(forms.ModelForm):
    class Meta:
        model = Voucher
        fields = ("code", "ticket_type", "discount_percent", "max_uses", "valid_until")
        widgets = {"valid_until": DATETIME}

    def __init__(self, *args: object, event: AwardEvent, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["ticket_type"].queryset = TicketType.objects.filter(event=event)  # type: ignore[attr-defined]


@require_http_methods(["GET"])
@role_required(*TICKET_ROLES)
def ticket_events(request: HttpRequest) -> HttpResponse:
    """Every award night, with or without a shop: where sales are set up and followed."""
    events = AwardEvent.objects.order_by("-starts_at")
    with_shop = set(events_with_shops().values_list("pk", flat=True))
    return render(
        request, "awards/staff/ticket_events.html", {"events": events, "with_shop": with_shop}
    )


@require_http_methods(["GET", "POST"])
@role_required(*TICKET_ROLES)
def ticket_setup(request: HttpRequest, event_pk: int) -> HttpResponse:
    event = get_object_or_404(AwardEvent, pk=event_pk)
    shop = TicketShop.objects.filter(event=event).first()
    form = ShopForm(request.POST if request.method == "POST" else None, instance=shop)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                ticket_shop_save(event=event, data=form.cleaned_data)
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The ticket shop is saved."))
                return redirect("staff-ticket-setup", event_pk=event.pk)
        status = 400
    context = {
        "event": event,
        "shop": shop,
        "form": form,
        "types": TicketType.objects.filter(event=event),
        "vouchers": Voucher.objects.filter(event=event).select_related("ticket_type"),
    }
    return render(request, "awards/staff/ticket_setup.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(*TICKET_ROLES)
def ticket_type_edit(request: HttpRequest, event_pk: int, pk: int | None = None) -> HttpResponse:
    event = get_object_or_404(AwardEvent, pk=event_pk)
    ticket_type = get_object_or_404(TicketType, pk=pk, event=event) if pk else None
    form = TicketTypeForm(request.POST if request.method == "POST" else None, instance=ticket_type)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                ticket_type_save(event=event, data=form.cleaned_data, ticket_type=ticket_type)
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The ticket type is saved."))
                return redirect("staff-ticket-setup", event_pk=event.pk)
        status = 400
    return render(
        request,
        "awards/staff/ticket_form.html",
        {"event": event, "form": form, "title": _("Ticket type")},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@role_required(*TICKET_ROLES)
def voucher_edit(request: HttpRequest, event_pk: int, pk: int | None = None) -> HttpResponse:
    event = get_object_or_404(AwardEvent, pk=event_pk)
    voucher = get_object_or_404(Voucher, pk=pk, event=event) if pk else None
    form = VoucherForm(
        request.POST if request.method == "POST" else None, instance=voucher, event=event
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                voucher_save(event=event, data=form.cleaned_data, voucher=voucher)
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The voucher is saved."))
                return redirect("staff-ticket-setup", event_pk=event.pk)
        status = 400
    return render(
        request,
        "awards/staff/ticket_form.html",
        {"event": event, "form": form, "title": _("Voucher")},
        status=status,
    )


def _form_errors(form: forms.BaseForm, error: DomainError) -> None:
    if hasattr(error, "error_dict"):
        for field, found in error.message_dict.items():
            form.add_error(field if field in form.fields else None, found)
    else:
        form.add_error(None, error.messages)
