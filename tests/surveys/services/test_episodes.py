"""Temperature updates: writing, scheduling, publishing on time, freezing, withdrawing, and the
mails to subscribers (each at most once)."""

import datetime
import io
import smtplib
from typing import Any

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone
from PIL import Image

from kundeservice.caching import visibility_version
from kundeservice.errors import DomainError
from surveys.models import (
    Company,
    DeliveryStatus,
    EpisodeDelivery,
    EpisodeStatus,
    ResultSet,
    ResultSetStatus,
    Subscriber,
    SubscriberStatus,
    TemperatureUpdate,
    Wave,
)
from surveys.services.episodes import (
    EPISODES_NAMESPACE,
    cover_image_prepare,
    episode_block_add,
    episode_block_remove,
    episode_publish,
    episode_save,
    episode_schedule,
    episode_withdraw,
)
from surveys.tasks import publish_due_episodes, send_episode
from tests.surveys.services.test_aggregation import add_contacts, golden_wave, run

pytestmark = pytest.mark.django_db

CUTOFF = datetime.date(2026, 3, 31)


def moment(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def write(
    wave: Wave,
    *,
    number: int = 1,
    choices: tuple[str, ...] = ("overall", "channels"),
    **fields: Any,
) -> TemperatureUpdate:
    data = {
        "number": number,
        "title": f"Temperaturen, episode {number}",
        "lead": "Telefon leder, e-post henger etter.",
        "body": "Slik ligger det an.\n",
        "cutoff": CUTOFF,
        **fields,
    }
    episode = episode_save(wave=wave, fields=data)
    for choice in choices:
        episode_block_add(episode=episode, choice=choice)
    return episode


def scheduled(wave: Wave, **fields: Any) -> TemperatureUpdate:
    episode = write(wave, **fields)
    with TestCase.captureOnCommitCallbacks(execute=True):
        episode_schedule(episode=episode, publish_at=moment(datetime.date(2026, 4, 2)))
    episode.refresh_from_db()
    return episode


def subscribe(email: str, language: str = "nb") -> Subscriber:
    return Subscriber.objects.create(
        email=email, language=language, status=SubscriberStatus.CONFIRMED
    )


def published(wave: Wave, **fields: Any) -> TemperatureUpdate:
    episode = scheduled(wave, **fields)
    with TestCase.captureOnCommitCallbacks(execute=True):
        publish_due_episodes()
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.PUBLISHED, episode.publish_note
    return episode


def headline_value(episode: TemperatureUpdate) -> float:
    return episode.figures["headline"]["value"]


def test_scheduling_computes_the_cutoffs_results_without_touching_the_results_pages() -> None:
    wave = golden_wave()
    current = run(wave)  # the results pages' set, through the wave's end
    episode = scheduled(wave)
    made = ResultSet.objects.exclude(pk=current.pk).get()
    assert (made.cutoff, made.status, made.is_current) == (CUTOFF, ResultSetStatus.COMPLETE, False)
    current.refresh_from_db()
    assert current.is_current
    assert episode.status == EpisodeStatus.SCHEDULED


def test_beat_publishes_when_the_time_has_come_and_not_before() -> None:
    wave = golden_wave()
    episode = scheduled(wave)
    before = visibility_version(EPISODES_NAMESPACE)
    assert episode_publish(episode_id=episode.pk, now=moment(datetime.date(2026, 4, 1))).status == (
        EpisodeStatus.SCHEDULED
    )
    assert visibility_version(EPISODES_NAMESPACE) == before
    with TestCase.captureOnCommitCallbacks(execute=True):
        publish_due_episodes()
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.PUBLISHED
    assert visibility_version(EPISODES_NAMESPACE) == before + 1
    # Alfa 80, 60, 100, 0; Beta 50, 60, 55; Gamma 90, 95: nine contacts, mean 590 / 9.
    assert headline_value(episode) == pytest.approx(590 / 9)
    channels = episode.figures["blocks"][1]
    # Phone: 80, 60, 0, 50, 55, 90, 95; chat has two contacts, fewer than 3: last, no figure.
    assert [(r["channel"], r["value"]) for r in channels["rows"]] == [
        ("phone", pytest.approx(430 / 7)),
        ("chat", None),
    ]
    assert channels["title"]["en"].startswith("Channels compared")
    assert episode.figures["provisional"] is True
    # Run again: nothing changes, nothing moves.
    with TestCase.captureOnCommitCallbacks(execute=True):
        publish_due_episodes()
    assert visibility_version(EPISODES_NAMESPACE) == before + 1


def test_a_due_episode_without_results_waits_for_them_then_publishes() -> None:
    wave = golden_wave()
    episode = write(wave)
    TemperatureUpdate.objects.filter(pk=episode.pk).update(
        status=EpisodeStatus.SCHEDULED, publish_at=moment(datetime.date(2026, 4, 2))
    )
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        publish_due_episodes()
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.SCHEDULED
    assert "31.03.2026" in episode.publish_note or "2026" in episode.publish_note
    for callback in queued:  # the aggregation through the cutoff runs
        callback()
    with TestCase.captureOnCommitCallbacks(execute=True):
        publish_due_episodes()
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.PUBLISHED
    assert episode.publish_note == ""


def test_published_figures_never_change_while_the_live_results_move() -> None:
    wave = golden_wave()
    episode = published(wave, choices=("overall", "top"))
    frozen = episode.figures
    top = frozen["blocks"][1]["rows"]
    # Bank: Alfa 60 and Beta 55 ranked; Gamma (telecom) has two contacts: not published.
    assert [(r["label"]["nb"], r["note"]["en"], r["rank"]) for r in top] == [
        ("Alfa", "Banking", 1),
        ("Beta", "Banking", 2),
    ]
    companies = {c.slug: c for c in Company.objects.all()}
    add_contacts(
        wave,
        companies,
        {"gamma": [(10, "phone", "no")] * 5},
        when=moment(datetime.date(2026, 3, 10)),  # before the cutoff: the set through it moves
    )
    moved = run(wave, CUTOFF)
    assert moved.rows.get(scope="overall", measure="score").value != pytest.approx(590 / 9)
    Wave.objects.filter(pk=wave.pk).update(is_public=False)
    Company.objects.filter(slug="alfa").update(name="Alfa Nytt Navn")
    # Even the set the figures came from going, rows and all, leaves the episode as it was.
    ResultSet.objects.filter(pk=episode.result_set_id).delete()
    episode.refresh_from_db()
    assert episode.figures == frozen
    assert headline_value(episode) == pytest.approx(590 / 9)


def test_every_confirmed_subscriber_gets_one_mail_in_their_language_even_when_retried() -> None:
    wave = golden_wave()
    subscribe("kari@example.no")
    subscribe("ann@example.com", language="en")
    Subscriber.objects.create(email="venter@example.no", language="nb")  # never confirmed
    episode = published(wave)
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "kari@example.no"]
    english = next(m for m in mail.outbox if m.to == ["ann@example.com"])
    assert "episode 1" in english.subject
    assert "Read the episode" in english.body
    norwegian = next(m for m in mail.outbox if m.to == ["kari@example.no"])
    assert "Les episoden" in norwegian.body
    assert norwegian.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert norwegian.extra_headers["List-Unsubscribe"].startswith("<http")
    # Publishing and sending run again (a retried task, a redelivered message): nothing more.
    with TestCase.captureOnCommitCallbacks(execute=True):
        episode_publish(episode_id=episode.pk)
        publish_due_episodes()
    send_episode.apply(kwargs={"episode_id": episode.pk})
    assert len(mail.outbox) == 2
    assert set(EpisodeDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_mail_server_failing_part_way_sends_the_rest_later_and_nobody_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wave = golden_wave()
    for n in range(3):
        subscribe(f"leser{n}@example.no")
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages
    calls = {"n": 0}

    def flaky(self: Any, messages: list[Any]) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise smtplib.SMTPServerDisconnected("gone")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    episode = scheduled(wave)
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        publish_due_episodes()
    # The sending is queued once, beside the webhook dispatch (episode.published).
    assert len([c for c in queued if c.__module__ != "webhooks.services.events"]) == 1
    with pytest.raises(Retry):  # eager mode surfaces the retry the worker would schedule
        send_episode.apply(kwargs={"episode_id": episode.pk}, throw=True)
    assert [m.to[0] for m in mail.outbox] == ["leser0@example.no"]
    assert EpisodeDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 2
    send_episode.apply(kwargs={"episode_id": episode.pk}, throw=True)  # the retry
    assert sorted(m.to[0] for m in mail.outbox) == [f"leser{n}@example.no" for n in range(3)]
    assert EpisodeDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 3


def test_an_unsubscribed_reader_gets_nothing_still_pending() -> None:
    from surveys.services.subscriptions import subscription_cancel

    wave = golden_wave()
    reader = subscribe("kari@example.no")
    episode = scheduled(wave)
    with TestCase.captureOnCommitCallbacks(execute=False):
        publish_due_episodes()
    subscription_cancel(subscriber=reader)
    send_episode.apply(kwargs={"episode_id": episode.pk})
    assert mail.outbox == []
    assert EpisodeDelivery.objects.get().status == DeliveryStatus.CANCELLED


def test_scheduling_before_the_cutoff_day_is_over_is_refused_and_changes_nothing() -> None:
    wave = golden_wave()
    episode = write(wave)
    with pytest.raises(DomainError) as refused:
        episode_schedule(episode=episode, publish_at=moment(CUTOFF, hour=20))
    assert "publish_at" in refused.value.message_dict
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.DRAFT
    assert not ResultSet.objects.exists()


def test_a_body_showing_a_figure_that_does_not_exist_is_refused() -> None:
    wave = golden_wave()
    episode = write(wave)
    with pytest.raises(DomainError) as refused:
        episode_save(wave=wave, episode=episode, fields={"body": "Se her:\n\n[[figur 7]]\n"})
    assert "7" in refused.value.message_dict["body"][0]
    episode.refresh_from_db()
    assert "[[figur 7]]" not in episode.body


def test_figures_go_where_the_cursor_was_and_leave_with_their_line() -> None:
    wave = golden_wave()
    episode = episode_save(
        wave=wave,
        fields={"number": 1, "title": "T", "lead": "L", "body": "Først.\nSå.\n", "cutoff": CUTOFF},
    )
    episode_block_add(episode=episode, choice="areas", at=3)  # inside "Først."
    episode_block_add(episode=episode, choice="share:q:would_buy=yes")
    assert episode.body == "Først.\n\n[[figur 1]]\n\nSå.\n\n[[figur 2]]\n"
    assert episode.blocks[1] == {"number": 2, "kind": "share", "measure": "q:would_buy=yes"}
    episode_block_remove(episode=episode, number=1)
    assert "[[figur 1]]" not in episode.body
    with pytest.raises(DomainError):
        episode_block_add(episode=episode, choice="share:q:nope=yes")


def test_a_published_episodes_text_may_be_corrected_but_not_its_figures() -> None:
    wave = golden_wave()
    episode = published(wave)
    version = visibility_version(EPISODES_NAMESPACE)
    episode_save(wave=wave, episode=episode, fields={"title": "Rettet tittel"})
    assert visibility_version(EPISODES_NAMESPACE) == version + 1
    with pytest.raises(DomainError):
        episode_save(wave=wave, episode=episode, fields={"cutoff": datetime.date(2026, 4, 30)})
    with pytest.raises(DomainError):
        episode_block_add(episode=episode, choice="areas")


def test_withdrawing_needs_a_reason_and_moves_the_version() -> None:
    wave = golden_wave()
    episode = published(wave)
    version = visibility_version(EPISODES_NAMESPACE)
    with pytest.raises(DomainError):
        episode_withdraw(episode=episode, reason="  ")
    episode_withdraw(episode=episode, reason="Feil i tallgrunnlaget.")
    assert episode.status == EpisodeStatus.WITHDRAWN
    assert visibility_version(EPISODES_NAMESPACE) == version + 1
    with pytest.raises(DomainError):
        episode_save(wave=wave, episode=episode, fields={"title": "Ny"})


def test_episode_numbers_are_unique_per_wave() -> None:
    wave = golden_wave()
    write(wave)
    with pytest.raises(DomainError) as refused:
        episode_save(
            wave=wave,
            fields={"number": 1, "title": "T", "lead": "L", "body": "B", "cutoff": CUTOFF},
        )
    assert "number" in refused.value.message_dict
    assert TemperatureUpdate.objects.count() == 1


def image_upload(fmt: str = "PNG", size: tuple[int, int] = (3000, 1500)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return SimpleUploadedFile(f"cover.{fmt.lower()}", out.getvalue(), content_type="image/png")


def test_a_cover_is_checked_scaled_and_stored_as_jpeg() -> None:
    prepared = cover_image_prepare(image_upload())
    with Image.open(prepared) as stored:
        assert (stored.format, stored.size) == ("JPEG", (1600, 800))
    for bad in (
        SimpleUploadedFile("x.png", b"<script>alert(1)</script>"),
        image_upload(fmt="GIF", size=(10, 10)),
    ):
        with pytest.raises(DomainError) as refused:
            cover_image_prepare(bad)
        assert "WebP" in refused.value.message_dict["cover"][0]
    huge = SimpleUploadedFile("big.png", b"0" * (5 * 1024 * 1024 + 1))
    with pytest.raises(DomainError):
        cover_image_prepare(huge)


def test_a_cover_needs_a_description() -> None:
    wave = golden_wave()
    with pytest.raises(DomainError) as refused:
        episode_save(
            wave=wave,
            fields={"number": 1, "title": "T", "lead": "L", "body": "B", "cutoff": CUTOFF},
            cover=image_upload(),
        )
    assert "cover_alt" in refused.value.message_dict
    assert not TemperatureUpdate.objects.exists()


def test_a_body_from_a_browser_gets_its_figure_where_the_cursor_was() -> None:
    """Browsers send a textarea's lines ended by CR LF, and count the cursor in LF-ended
    lines."""
    wave = golden_wave()
    episode = episode_save(
        wave=wave,
        fields={
            "number": 1,
            "title": "T",
            "lead": "L",
            "body": "Først.\r\n\r\nSå.\r\n",
            "cutoff": CUTOFF,
        },
    )
    episode_block_add(episode=episode, choice="overall", at=len("Først.\n\nS"))
    assert episode.body == "Først.\n\nSå.\n\n[[figur 1]]\n"


def test_beat_looks_for_due_episodes_twice_a_minute_and_mails_go_on_the_mail_queue() -> None:
    from kundeservice.celery import app

    assert app.conf.beat_schedule["publish-due-episodes"] == {
        "task": "surveys.tasks.publish_due_episodes",
        "schedule": 30,
    }
    route = app.amqp.router.route
    assert route({}, "surveys.tasks.send_episode")["queue"].name == "mail"
    assert route({}, "surveys.tasks.send_subscription_confirmation")["queue"].name == "mail"
    assert route({}, "surveys.tasks.publish_due_episodes")["queue"].name == "default"


def test_a_send_lost_with_the_broker_is_queued_again_by_beat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wave = golden_wave()
    subscribe("kari@example.no")
    episode = scheduled(wave)
    with TestCase.captureOnCommitCallbacks(execute=False):  # the queued send is lost
        publish_due_episodes()
    assert mail.outbox == []
    EpisodeDelivery.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    with TestCase.captureOnCommitCallbacks(execute=True):
        publish_due_episodes()
    assert [m.to for m in mail.outbox] == [["kari@example.no"]]
    assert episode.deliveries.get().status == DeliveryStatus.SENT
