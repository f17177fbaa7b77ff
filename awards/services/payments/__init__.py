"""Card-payment providers, by name (``settings.TICKET_PAYMENT_PROVIDERS``)."""

from django.conf import settings
from django.utils.module_loading import import_string

from awards.services.payments.base import PaymentProvider


def provider_get(name: str) -> PaymentProvider | None:
    """The provider called ``name``, or None when there is no such provider."""
    path = settings.TICKET_PAYMENT_PROVIDERS.get(name)
    if path is None:
        return None
    provider: PaymentProvider = import_string(path)()
    return provider


def card_provider() -> PaymentProvider | None:
    """The first provider that is configured to take payments here."""
    for name in settings.TICKET_PAYMENT_PROVIDERS:
        provider = provider_get(name)
        if provider is not None and provider.is_configured():
            return provider
    return None
