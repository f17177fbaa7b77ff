"""Open polls at /p/<slug>/: anonymous, one response per browser.

A browser is known by a random key kept in a signed cookie. The database holds only a keyed hash
of it, different for every poll, so answers to two polls cannot be linked to the same browser.
The unique constraint on (wave, browser_key) makes two tabs starting at once end with one response.
"""

import secrets
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from kundeservice.errors import DomainError
from surveys.models import Response, ResponseSource, Study, StudyKind, Wave, WaveStatus


def browser_key_new() -> str:
    """A fresh random key for a browser that has none (or whose cookie was tampered with)."""
    return secrets.token_urlsafe(32)


def browser_key_hash(*, wave_id: int, browser_key: str) -> str:
    """What ``Response.browser_key`` stores: 64 hex characters, keyed with the site's secret."""
    return salted_hmac(
        "kundeservice.poll-browser", f"{wave_id}:{browser_key}", algorithm="sha256"
    ).hexdigest()


def poll_is_open(*, wave: Wave, today: date | None = None) -> bool:
    """Collecting, and today within the poll's dates."""
    today = today or timezone.localdate()
    return wave.status == WaveStatus.OPEN and wave.starts_on <= today <= wave.ends_on


def poll_response_start(*, wave: Wave, browser_key: str, language: str) -> Response:
    """The browser's draft response to ``wave``, created now, or the one another tab of the same
    browser created a moment ago."""
    key_hash = browser_key_hash(wave_id=wave.pk, browser_key=browser_key)
    try:
        with transaction.atomic():
            response = Response.objects.create(
                wave=wave,
                source=ResponseSource.OPEN_LINK,
                browser_key=key_hash,
                language=language,
            )
    except IntegrityError:  # the unique (wave, browser_key) constraint: another tab won
        response = Response.objects.get(
            wave=wave, source=ResponseSource.OPEN_LINK, browser_key=key_hash
        )
    response.wave = wave
    return response


def wave_open_link_check(*, study: Study | None, open_slug: str | None) -> None:
    """An open link belongs to poll studies only; staff forms and the API both ask this."""
    if open_slug and study is not None and study.kind != StudyKind.POLL:
        raise DomainError(
            {"open_slug": _("Only waves of an open-poll study can have an open link.")},
            code="open_link_not_poll",
        )
