"""Staff console pages for webhooks: endpoints, their deliveries and log. Staff admins only."""

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kundeservice.errors import DomainError
from kundeservice.roles import role_required
from webhooks import selectors
from webhooks.api import WEBHOOK_ROLES
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.registry import event_types
from webhooks.services import endpoints as endpoint_services

GRACE_CHOICES = [
    (0, gettext_lazy("Stop at once")),
    (1, gettext_lazy("1 hour")),
    (24, gettext_lazy("24 hours")),
    (168, gettext_lazy("7 days")),
]


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=500,
        help_text=gettext_lazy("Where the events are sent, e.g. https://crm.example.no/hooks."),
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "url"}),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Who receives this and why."),
    )
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("Events"), widget=forms.CheckboxSelectMultiple
    )
    scope = forms.ChoiceField(label=gettext_lazy("Only for"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["event_types"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(e.name, f"{e.name}: {e.description}") for e in event_types()]
        scope = self.fields["scope"]
        assert isinstance(scope, forms.ChoiceField)
        scope.choices = [("", _("Every study and wave")), *endpoint_services.scope_choices()]


class RotateForm(forms.Form):
    grace_hours = forms.TypedChoiceField(
        label=gettext_lazy("Keep the old secret signing for"),
        choices=GRACE_CHOICES,
        coerce=int,
        initial=24,
        help_text=gettext_lazy(
            "Meanwhile every request carries a signature with each secret, so the receiver "
            "can switch to the new one without losing a delivery."
        ),
    )


@require_GET
@role_required(*WEBHOOK_ROLES)
def endpoint_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "webhooks/staff/endpoint_list.html",
        {"endpoints": selectors.endpoints_list(), "event_types": event_types()},
    )


@require_http_methods(["GET", "POST"])
@role_required(*WEBHOOK_ROLES)
def endpoint_create(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = endpoint_services.webhook_endpoint_create(
                **form.cleaned_data, owner=request.user
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            # Shown in the answer to this POST and stored nowhere else: the secret is seen once.
            return render(
                request,
                "webhooks/staff/secret.html",
                {"endpoint": endpoint, "secret": secret, "created": True},
            )
    return render(
        request,
        "webhooks/staff/endpoint_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@role_required(*WEBHOOK_ROLES)
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "scope": endpoint.scope,
    }
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint_services.webhook_endpoint_update(endpoint=endpoint, **form.cleaned_data)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The endpoint is saved."))
            return redirect("staff-webhook-detail", pk=endpoint.pk)
    return render(
        request,
        "webhooks/staff/endpoint_form.html",
        {"form": form, "endpoint": endpoint},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@role_required(*WEBHOOK_ROLES)
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(selectors.endpoints_list(), pk=pk)
    wanted = request.GET.get("status", "")
    status = wanted if wanted in DeliveryStatus.values else ""
    deliveries = selectors.deliveries_list(endpoint_id=endpoint.pk, status=status or None)
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/staff/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "page": page,
            "status": status,
            "statuses": DeliveryStatus.choices,
            "descriptions": {e.name: e.description for e in event_types()},
        },
    )


@require_POST
@role_required(*WEBHOOK_ROLES)
def endpoint_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a test event, pause, resume or delete; back to the endpoint (or the list)."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    action = request.POST.get("action")
    try:
        if action == "test":
            endpoint_services.webhook_test_send(endpoint=endpoint)
            messages.success(request, _("A test event is on its way; see the deliveries below."))
        elif action == "pause":
            endpoint_services.webhook_endpoint_pause(endpoint=endpoint)
            messages.success(request, _("The endpoint is paused."))
        elif action == "resume":
            endpoint_services.webhook_endpoint_resume(endpoint=endpoint)
            messages.success(request, _("The endpoint is active again."))
        elif action == "delete":
            endpoint_services.webhook_endpoint_delete(endpoint=endpoint)
            messages.success(request, _("The endpoint is deleted."))
            return redirect("staff-webhook-list")
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("staff-webhook-detail", pk=endpoint.pk)


@require_http_methods(["GET", "POST"])
@role_required(*WEBHOOK_ROLES)
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    form = RotateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        secret = endpoint_services.webhook_endpoint_rotate_secret(
            endpoint=endpoint, grace_hours=form.cleaned_data["grace_hours"]
        )
        return render(
            request,
            "webhooks/staff/secret.html",
            {"endpoint": endpoint, "secret": secret, "created": False},
        )
    return render(
        request,
        "webhooks/staff/endpoint_rotate.html",
        {"form": form, "endpoint": endpoint},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@role_required(*WEBHOOK_ROLES)
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A delivery's log, and its redeliver button (POST)."""
    try:
        delivery = selectors.delivery_with_log(pk=pk)
    except WebhookDelivery.DoesNotExist as exc:
        raise Http404 from exc
    if request.method == "POST":
        try:
            endpoint_services.webhook_delivery_redeliver(delivery=delivery)
        except DomainError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The delivery is sent again."))
        return redirect("staff-webhook-delivery", pk=delivery.pk)
    payload = json.dumps(json.loads(delivery.event.body), indent=2, ensure_ascii=False)
    return render(
        request,
        "webhooks/staff/delivery_detail.html",
        {"delivery": delivery, "payload": payload, "attempts": delivery.attempt_log.all()},
    )


def _add_errors(form: forms.Form, error: DomainError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, " ".join(error.messages))
        return
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)
