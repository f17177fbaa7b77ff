"""What the shop needs from a card-payment provider, and nothing provider-specific.

A provider starts a hosted checkout for an order and answers where to send the buyer; later it
turns a webhook request into a ``PaymentNotice`` only if the request proves it came from the
provider (a verified signature), and it refunds. ``awards.services.orders`` decides what a
notice does to an order, the same for every provider.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from awards.models import Order, Payment


class WebhookRejected(Exception):
    """The request is not a verified message from the provider."""


class PaymentUnavailable(Exception):
    """The provider could not be reached or refused the request."""


class NoticeKind(StrEnum):
    PAID = "paid"
    EXPIRED = "expired"
    OTHER = "other"


@dataclass(frozen=True)
class CheckoutSession:
    reference: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class PaymentNotice:
    """A verified message: its id (to see it once), what happened, and to which checkout."""

    event_id: str
    kind: NoticeKind
    provider_type: str
    reference: str = ""
    amount: int | None = None
    currency: str = ""
    charge_reference: str = ""


class PaymentProvider(ABC):
    name: str

    @abstractmethod
    def is_configured(self) -> bool:
        """Has the provider what it needs to take payments here?"""

    @abstractmethod
    def checkout_start(
        self, *, order: "Order", payment: "Payment", success_url: str, cancel_url: str
    ) -> CheckoutSession:
        """A hosted checkout for ``payment.amount`` øre; raises ``PaymentUnavailable``."""

    @abstractmethod
    def notice_parse(self, *, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        """The verified message in a webhook request; raises ``WebhookRejected``."""

    @abstractmethod
    def refund(self, *, payment: "Payment") -> str:
        """Refund the whole payment; its reference. Raises ``PaymentUnavailable``."""
