"""Standard Webhooks signatures, made by the reference library (``standardwebhooks``)."""

import base64
import secrets
from collections.abc import Iterable
from datetime import datetime

from standardwebhooks import Webhook

#: Bytes of randomness in a secret: the spec asks for 24 to 64.
SECRET_BYTES = 32


def secret_new() -> str:
    """A fresh endpoint secret in the spec's form: ``whsec_`` and base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature_header(
    *, secrets_in_use: Iterable[str], msg_id: str, timestamp: datetime, body: bytes
) -> str:
    """The ``webhook-signature`` header: one ``v1,…`` signature per secret, space separated,
    so that during a rotation receivers holding either the old or the new secret verify."""
    return " ".join(
        Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body)
        for secret in secrets_in_use
    )


def request_headers(
    *, secrets_in_use: Iterable[str], msg_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    """Every header of a delivery: the three of Standard Webhooks and the content type."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "Kundeservice-Webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(
            secrets_in_use=secrets_in_use, msg_id=msg_id, timestamp=timestamp, body=body
        ),
    }
