"""E-mail subscriptions to temperature updates: double opt-in, one-click unsubscribe, and each
published episode mailed to each subscriber at most once.

Asking to subscribe mails a confirmation link (signed, valid for a week) and nothing else; only
a confirmed address receives episodes. Every episode mail carries an unsubscribe link and the
RFC 8058 headers (``List-Unsubscribe`` and ``List-Unsubscribe-Post``), as invitations do.

Publishing creates one ``EpisodeDelivery`` per confirmed subscriber (unique per episode and
subscriber). The sender claims deliveries (``sending``) in a committed UPDATE before mailing,
over one SMTP connection per batch, and marks what the server accepted ``sent``; when the server
fails part-way the unsent claims go back to ``pending`` and the task retries. A worker that dies
mid-batch leaves its claims ``sending``: they are never mailed again by themselves. So neither a
retried publish nor a retried send mails anyone twice.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import mail, signing
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from kundeservice.tasks import enqueue_on_commit
from surveys.models import (
    DeliveryStatus,
    EpisodeDelivery,
    Subscriber,
    SubscriberStatus,
    TemperatureUpdate,
)

CONFIRM_SALT = "surveys.subscriptions.confirm"
UNSUBSCRIBE_SALT = "surveys.subscriptions.unsubscribe"
CONFIRM_MAX_AGE = timedelta(days=7)
#: A new confirmation mail to the same address at most this often (no mail bombing by form).
CONFIRM_RESEND_AFTER = timedelta(minutes=10)
MAIL_BATCH = 200


def subscription_request(*, email: str, language: str) -> Subscriber:
    """Ask for episodes by e-mail: a confirmation mail goes to the address (while one is
    waiting, at most every ten minutes); an address already subscribed gets nothing new. What
    the page says afterwards is the same in every case, so the form tells nobody who
    subscribes."""
    email = email.strip().lower()
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with transaction.atomic():
        try:
            with transaction.atomic():
                subscriber, _created = Subscriber.objects.get_or_create(
                    email=email, defaults={"language": language}
                )
        except IntegrityError:  # created meanwhile by a parallel request
            subscriber = Subscriber.objects.get(email=email)
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status == SubscriberStatus.CONFIRMED:
            return subscriber
        now = timezone.now()
        # Asking again while a link is on its way sends no second one for a while; someone who
        # unsubscribed (with their own link) and asks again gets one at once.
        recent = (
            subscriber.status == SubscriberStatus.PENDING
            and subscriber.confirmation_sent_at is not None
            and now - subscriber.confirmation_sent_at < CONFIRM_RESEND_AFTER
        )
        subscriber.status = SubscriberStatus.PENDING
        subscriber.language = language
        if not recent:
            subscriber.confirmation_sent_at = now
            from surveys.tasks import send_subscription_confirmation

            enqueue_on_commit(send_subscription_confirmation, subscriber_id=subscriber.pk)
        subscriber.save(update_fields=["status", "language", "confirmation_sent_at"])
    return subscriber


def subscriber_token(subscriber: Subscriber, *, purpose: str) -> str:
    """A signed link token (``confirm`` expires after a week; ``unsubscribe`` never does)."""
    salt = CONFIRM_SALT if purpose == "confirm" else UNSUBSCRIBE_SALT
    return signing.dumps(subscriber.pk, salt=salt)


def subscriber_from_token(token: str, *, purpose: str) -> Subscriber | None:
    """The subscriber a link names, or None for a forged, mangled or expired one."""
    salt = CONFIRM_SALT if purpose == "confirm" else UNSUBSCRIBE_SALT
    max_age = CONFIRM_MAX_AGE if purpose == "confirm" else None
    try:
        pk = signing.loads(token[:200], salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    return Subscriber.objects.filter(pk=pk).first() if isinstance(pk, int) else None


class ConfirmOutcome:
    CONFIRMED = "confirmed"
    ALREADY = "already"
    UNSUBSCRIBED = "unsubscribed"


def subscription_confirm(*, subscriber: Subscriber) -> str:
    """Confirm from the mailed link. Confirming twice changes nothing; a link from before an
    unsubscription does not subscribe again (asking again mails a new one)."""
    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if locked.status == SubscriberStatus.CONFIRMED:
            return ConfirmOutcome.ALREADY
        if locked.status == SubscriberStatus.UNSUBSCRIBED:
            return ConfirmOutcome.UNSUBSCRIBED
        Subscriber.objects.filter(pk=locked.pk).update(
            status=SubscriberStatus.CONFIRMED, confirmed_at=timezone.now(), unsubscribed_at=None
        )
    return ConfirmOutcome.CONFIRMED


def subscription_cancel(*, subscriber: Subscriber) -> None:
    """Unsubscribe (from the link or RFC 8058 one-click): no episode is mailed after this, not
    even one already published and still being sent."""
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk).exclude(
            status=SubscriberStatus.UNSUBSCRIBED
        ).update(status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=timezone.now())
        EpisodeDelivery.objects.filter(subscriber=subscriber, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.CANCELLED
        )


def confirmation_mail_send(*, subscriber_id: int) -> bool:
    """Mail the confirmation link to a subscriber still waiting for it; False when there is
    nothing to send."""
    subscriber = Subscriber.objects.filter(
        pk=subscriber_id, status=SubscriberStatus.PENDING
    ).first()
    if subscriber is None:
        return False
    with translation.override(subscriber.language):
        link = settings.SITE_URL + reverse(
            "temperature-confirm", args=[subscriber_token(subscriber, purpose="confirm")]
        )
        context = {"link": link, "SITE_NAME": settings.SITE_NAME}
        subject = render_to_string("surveys/mail/subscription_subject.txt", context).strip()
        body = render_to_string("surveys/mail/subscription.txt", context)
    mail.EmailMessage(subject=subject, body=body, to=[subscriber.email]).send()
    return True


@dataclass
class BatchResult:
    sent: int
    remaining: int


def episode_mails_send_batch(*, episode_id: int, batch_size: int = MAIL_BATCH) -> BatchResult:
    """Mail one batch of an episode's pending deliveries. Raises the mail server's error after
    putting unsent claims back, so the caller can retry."""
    episode = TemperatureUpdate.objects.select_related("wave__study").filter(pk=episode_id).first()
    if episode is None or not episode.is_public:
        return BatchResult(sent=0, remaining=0)
    claimed = _claim(episode_id=episode_id, size=batch_size)
    sent = _deliver(episode, claimed)
    remaining = EpisodeDelivery.objects.filter(
        episode_id=episode_id, status=DeliveryStatus.PENDING
    ).count()
    return BatchResult(sent=sent, remaining=remaining)


def _claim(*, episode_id: int, size: int) -> list[EpisodeDelivery]:
    """Take up to ``size`` pending deliveries to confirmed subscribers in a committed UPDATE,
    skipping rows another worker holds."""
    with transaction.atomic():
        ids = list(
            EpisodeDelivery.objects.filter(
                episode_id=episode_id,
                status=DeliveryStatus.PENDING,
                subscriber__status=SubscriberStatus.CONFIRMED,
            )
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")
            .values_list("id", flat=True)[:size]
        )
        EpisodeDelivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.SENDING)
    return list(
        EpisodeDelivery.objects.filter(pk__in=ids).select_related("subscriber").order_by("id")
    )


UNSUBSCRIBE_MARK = "\x00unsubscribe\x00"


def _deliver(episode: TemperatureUpdate, deliveries: list[EpisodeDelivery]) -> int:
    accepted: list[int] = []
    rendered: dict[str, tuple[str, str]] = {}
    connection = mail.get_connection()
    try:
        connection.open()
        for delivery in deliveries:
            subscriber = delivery.subscriber
            if subscriber.language not in rendered:
                rendered[subscriber.language] = _render(episode, language=subscriber.language)
            subject, body = rendered[subscriber.language]
            with translation.override(subscriber.language):
                unsubscribe = settings.SITE_URL + reverse(
                    "temperature-unsubscribe",
                    args=[subscriber_token(subscriber, purpose="unsubscribe")],
                )
            message = mail.EmailMessage(
                subject=subject,
                body=body.replace(UNSUBSCRIBE_MARK, unsubscribe),
                to=[subscriber.email],
                headers={
                    "List-Unsubscribe": f"<{unsubscribe}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
            connection.send_messages([message])
            accepted.append(delivery.pk)
    except Exception as exc:
        _mark_sent(accepted)
        unsent = [d.pk for d in deliveries[len(accepted) :]]
        EpisodeDelivery.objects.filter(pk__in=unsent, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.PENDING, last_error=f"{type(exc).__name__}: {exc}"[:300]
        )
        raise
    else:
        _mark_sent(accepted)
    finally:
        connection.close()
    return len(accepted)


def _mark_sent(ids: list[int]) -> None:
    if ids:
        EpisodeDelivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
        )


def _render(episode: TemperatureUpdate, *, language: str) -> tuple[str, str]:
    """The subject and body in ``language``, with a stand-in for the personal unsubscribe link."""
    from surveys.episode_selectors import episode_url, headline_of

    with translation.override(language):
        context: dict[str, Any] = {
            "episode": episode,
            "wave": episode.wave,
            "headline": headline_of(episode),
            "link": settings.SITE_URL + episode_url(episode),
            "unsubscribe": UNSUBSCRIBE_MARK,
            "SITE_NAME": settings.SITE_NAME,
        }
        subject = render_to_string("surveys/mail/episode_subject.txt", context).strip()
        body = render_to_string("surveys/mail/episode.txt", context)
    return subject, body
