"""Temperature updates in a real browser, in bokmål and English, on a phone and a desktop, with
axe on every page: an editor writes an episode with two figures and schedules it; the public
finds nothing before its time; beat publishes it and each subscriber gets one mail. What
editors write stays inert; a recording loads nothing until asked; subscribing works."""

import datetime
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.utils import timezone

from kundeservice.roles import Role
from surveys.models import EpisodeStatus, Subscriber, SubscriberStatus, TemperatureUpdate
from surveys.tasks import publish_due_episodes
from tests.e2e.conftest import assert_accessible, assert_fits_width, wait_for_path
from tests.e2e.test_staff_planning import log_in
from tests.factories import UserFactory
from tests.surveys.services.test_aggregation import golden_wave
from tests.surveys.services.test_episodes import published

pytestmark = pytest.mark.django_db(transaction=True)

TEXTS = {
    "nb": {
        "prefix": "",
        "temperature": "temperatur",
        "new": "Ny episode av",
        "number": "Episodenummer",
        "title": "Tittel (norsk)",
        "lead": "Ingress (norsk)",
        "body": "Tekst (norsk)",
        "cutoff": "Resultater til og med",
        "save": "Lagre utkast",
        "figure": "Figur",
        "insert": "Sett inn figur",
        "channels": "Snitt per kanal",
        "overall": "Totalscore",
        "publish_at": "Publiseres",
        "schedule": "Lagre og planlegg",
        "scheduled": "Episoden er planlagt.",
        "score": "65,6",
        "provisional": "Foreløpige resultater",
    },
    "en": {
        "prefix": "/en",
        "temperature": "temperature",
        "new": "New episode of",
        "number": "Episode number",
        "title": "Title (Norwegian)",
        "lead": "Lead (Norwegian)",
        "body": "Text (Norwegian)",
        "cutoff": "Results through",
        "save": "Save draft",
        "figure": "Figure",
        "insert": "Insert figure",
        "channels": "Channel averages",
        "overall": "Overall score",
        "publish_at": "Publish at",
        "schedule": "Save and schedule",
        "scheduled": "The episode is scheduled.",
        "score": "65.6",
        "provisional": "Provisional results",
    },
}


def external_requests(page: Any, live_server: Any) -> list[str]:
    """Abort, and record, every request that leaves the site."""
    seen: list[str] = []
    local = urlparse(live_server.url).netloc

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if urlparse(url).netloc != local:
            seen.append(url)
            request_route.abort()
        else:
            request_route.continue_()

    page.route("**/*", route)
    return seen


@pytest.mark.parametrize("language", ["nb", "en"])
def test_an_editor_schedules_an_episode_that_beat_publishes_to_readers_and_subscribers(
    live_server: Any, page: Any, browser: Any, language: str
) -> None:
    texts = TEXTS[language]
    prefix = texts["prefix"]
    wave = golden_wave()
    for email, reader_language in [("kari@example.no", "nb"), ("ann@example.com", "en")]:
        Subscriber.objects.create(
            email=email, language=reader_language, status=SubscriberStatus.CONFIRMED
        )
    UserFactory(username="redaktor", roles=[Role.EDITOR])
    console = f"{prefix}/staff/episodes/"
    log_in(page, f"{live_server.url}/en/account/login/?next={console}", "redaktor")
    wait_for_path(page, console)
    assert_accessible(page)
    page.get_by_role("link", name=f"{texts['new']} {wave.name}").click()
    page.get_by_label(texts["number"] + ":", exact=True).fill("1")
    page.get_by_label(texts["cutoff"] + ":", exact=True).fill("2026-03-31")
    page.get_by_label(texts["title"] + ":", exact=True).fill("Telefonen leder")
    page.get_by_label(texts["lead"] + ":", exact=True).fill("Resultatene så langt.")
    page.get_by_label(texts["body"] + ":", exact=True).fill("Første avsnitt.\n\nAndre avsnitt.")
    page.get_by_role("button", name=texts["save"]).click()
    episode = TemperatureUpdate.objects.get()
    edit = f"{prefix}/staff/episodes/{episode.pk}/"
    wait_for_path(page, edit)
    assert_accessible(page)
    assert_fits_width(page)
    # Figures come from a list and go where the cursor is.
    body = page.get_by_label(texts["body"] + ":", exact=True)
    body.click()
    body.press("Control+Home")
    page.get_by_label(texts["figure"] + ":", exact=True).select_option(label=texts["channels"])
    page.get_by_role("button", name=texts["insert"]).click()
    wait_for_path(page, edit)
    page.get_by_label(texts["figure"] + ":", exact=True).select_option(label=texts["overall"])
    page.get_by_role("button", name=texts["insert"]).click()
    wait_for_path(page, edit)
    episode.refresh_from_db()
    assert [b["kind"] for b in episode.blocks] == ["channels", "overall"]
    assert episode.body.startswith("Første avsnitt.\n\n[[figur")
    when = timezone.localtime() + datetime.timedelta(days=1)
    page.get_by_label(texts["publish_at"] + ":", exact=True).fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name=texts["schedule"]).click()
    page.get_by_text(texts["scheduled"]).first.wait_for()
    assert_accessible(page)
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.SCHEDULED

    # Before its time the public finds nothing: not the page, the feed or the API.
    reader = browser.new_page(viewport=page.viewport_size)
    public = f"{prefix}/{texts['temperature']}/{wave.study.slug}/{wave.slug}/1/"
    feed = f"{prefix}/{texts['temperature']}/rss/"
    assert reader.goto(live_server.url + public).status == 404
    assert "Telefonen leder" not in (reader.goto(live_server.url + feed).text() or "")
    api = reader.goto(f"{live_server.url}/api/v1/episodes/{episode.pk}/")
    assert api.status == 404
    assert mail.outbox == []

    # Time passes; beat runs.
    TemperatureUpdate.objects.filter(pk=episode.pk).update(
        publish_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    publish_due_episodes.apply()
    assert reader.goto(live_server.url + public).status == 200
    assert reader.get_by_role("heading", level=1).inner_text() == "Telefonen leder"
    article = reader.locator("article").inner_text()
    assert texts["score"] in article
    assert texts["provisional"] in article
    assert reader.get_by_role("table").count() == 2  # each figure's accessible table
    assert_accessible(reader)
    assert_fits_width(reader)
    assert "Telefonen leder" in (reader.goto(live_server.url + feed).text() or "")
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "kari@example.no"]
    publish_due_episodes.apply()  # beat again: nobody gets a second mail
    assert len(mail.outbox) == 2
    reader.close()


XSS = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'


@pytest.mark.parametrize("start", ["/", "/en/"])
def test_what_editors_write_is_inert_and_a_recording_loads_only_when_asked(
    live_server: Any, page: Any, start: str
) -> None:
    episode = published(
        golden_wave(),
        title=f'Tittel {XSS}"><svg onload="window.pwned = 3">',
        lead=f"Ingress {XSS}",
        body=(
            f"Tekst {XSS}\n\n[klikk](javascript:window.pwned=4)\n\n"
            '<iframe src="https://evil.example/"></iframe>\n\n'
            '<a href="#" onclick="window.pwned = 5">lenke</a>\n'
        ),
        recording_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    outside = external_requests(page, live_server)
    wave = episode.wave
    temperature = "temperatur" if start == "/" else "temperature"
    url = f"{live_server.url}{start}{temperature}/{wave.study.slug}/{wave.slug}/1/"
    page.goto(url)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Tittel <script>")
    for text in ("klikk", "lenke"):
        target = page.get_by_text(text, exact=False).first
        if target.count():
            target.click()
    assert page.evaluate("window.pwned") is None
    assert dialogs == []
    injected = page.evaluate(
        "document.querySelectorAll('article iframe, article img, article [onclick],"
        " article [onerror], article [onload], article script').length"
    )
    assert injected == 0
    assert outside == []  # nothing asked of YouTube (or anyone) yet
    assert_accessible(page)
    assert_fits_width(page)
    page.locator(".video-play").click()
    frame = page.locator("iframe.video-frame")
    assert frame.get_attribute("src", timeout=5000).startswith(
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    )
    page.wait_for_timeout(300)
    assert outside
    assert all(urlparse(u).netloc == "www.youtube-nocookie.com" for u in outside)


def test_subscribe_confirm_twice_unsubscribe_and_subscribe_again(
    live_server: Any, page: Any
) -> None:
    wave = golden_wave()
    page.goto(f"{live_server.url}/temperatur/abonner/")
    assert_accessible(page)
    page.get_by_label("E-postadresse").fill("kari@example.no")
    page.get_by_role("button", name="Abonner").click()
    page.get_by_text("Sjekk innboksen").wait_for()
    assert_accessible(page)
    assert [m.to for m in mail.outbox] == [["kari@example.no"]]
    confirm = next(line for line in mail.outbox[0].body.split() if "/bekreft/" in line)
    confirm = confirm.replace("http://127.0.0.1:8000", live_server.url)
    for expected in ("Takk", "allerede bekreftet"):
        page.goto(confirm)
        page.get_by_role("button", name="Bekreft abonnementet").click()
        page.get_by_text(expected).wait_for()
    assert_accessible(page)
    published(wave)
    assert [m.to for m in mail.outbox[1:]] == [["kari@example.no"]]
    unsubscribe = mail.outbox[1].extra_headers["List-Unsubscribe"].strip("<>")
    page.goto(unsubscribe.replace("http://127.0.0.1:8000", live_server.url))
    page.get_by_role("button", name="Meld av").click()
    page.get_by_text("Du får ikke flere").wait_for()
    assert_accessible(page)
    published(wave, number=2)
    assert len(mail.outbox) == 2
    page.get_by_role("link", name="Abonner igjen").click()
    page.get_by_label("E-postadresse").fill("kari@example.no")
    page.get_by_role("button", name="Abonner").click()
    page.get_by_text("Sjekk innboksen").wait_for()
    assert len(mail.outbox) == 3
    confirm = next(line for line in mail.outbox[2].body.split() if "/bekreft/" in line)
    page.goto(confirm.replace("http://127.0.0.1:8000", live_server.url))
    page.get_by_role("button", name="Bekreft abonnementet").click()
    page.get_by_text("Takk").wait_for()
    published(wave, number=3)
    assert [m.to for m in mail.outbox[3:]] == [["kari@example.no"]]
    page.goto(f"{live_server.url}/temperatur/{wave.study.slug}/{wave.slug}/")
    assert_accessible(page)
    assert_fits_width(page)
