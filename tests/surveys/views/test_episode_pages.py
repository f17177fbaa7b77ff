"""Temperature updates as readers, feed readers, partners and editors meet them: the embargo on
every public surface before and after the time (also with the cache failing), caching, query
budgets, Open Graph and the share image, sanitised text, subscriptions and the console."""

import io
import re
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from kundeservice.roles import Role
from surveys.models import EpisodeStatus, Subscriber, SubscriberStatus, TemperatureUpdate
from surveys.services.episodes import episode_withdraw
from surveys.services.subscriptions import subscriber_token
from surveys.tasks import publish_due_episodes
from tests.factories import UserFactory
from tests.surveys.services.test_aggregation import golden_wave
from tests.surveys.services.test_episodes import published, scheduled, subscribe
from tests.surveys.views.test_results_pages import stall_the_cache

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 12


def surfaces(episode: TemperatureUpdate, language: str = "nb") -> dict[str, str]:
    """Every public address that shows (or lists) the episode."""
    wave = episode.wave
    series = [wave.study.slug, wave.slug]
    one = [*series, episode.number]
    with translation.override(language):
        return {
            "page": reverse("temperature-episode", args=one),
            "share image": reverse("temperature-share-image", args=one),
            "series": reverse("temperature-series", args=series),
            "series rss": reverse("temperature-series-rss", args=series),
            "series atom": reverse("temperature-series-atom", args=series),
            "api": reverse("episode-detail", args=[episode.pk]),
        }


def listings(language: str = "nb") -> dict[str, str]:
    with translation.override(language):
        return {
            "index": reverse("temperature-index"),
            "rss": reverse("temperature-rss"),
            "atom": reverse("temperature-atom"),
            "api list": reverse("episode-list"),
            "sitemap": reverse("sitemap"),
        }


def text(response: Any) -> str:
    return response.content.decode()


def publish(episode: TemperatureUpdate) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        publish_due_episodes()
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.PUBLISHED


@pytest.mark.parametrize("language", ["nb", "en"])
def test_before_its_time_an_episode_is_nowhere_and_after_it_everywhere(
    client: Any, language: str
) -> None:
    episode = scheduled(golden_wave())
    title = episode.title
    for name, url in surfaces(episode, language).items():
        assert client.get(url).status_code == 404, name
    for name, url in listings(language).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert title not in text(response), name
        assert f"/{episode.number}/" not in text(response).replace(url, ""), name
    publish(episode)
    for name, url in surfaces(episode, language).items():
        assert client.get(url).status_code == 200, name
    for name, url in listings(language).items():
        assert title in text(client.get(url)) or name == "sitemap", name
    sitemap = text(client.get(reverse("sitemap")))
    assert surfaces(episode, "nb")["page"] in sitemap
    assert surfaces(episode, "en")["page"] in sitemap


def test_a_cache_hit_rechecks_that_the_episode_is_public(client: Any) -> None:
    episode = published(golden_wave())
    urls = {**surfaces(episode), **listings()}
    for url in urls.values():
        assert client.get(url).status_code == 200  # now cached
    # Taken back behind the services' back: no version moved, the cached pages are still there.
    TemperatureUpdate.objects.filter(pk=episode.pk).update(
        status=EpisodeStatus.SCHEDULED, published_at=None
    )
    for name in ("page", "share image", "series", "series rss", "api"):
        assert client.get(urls[name]).status_code == 404, name


def test_withdrawing_while_the_cache_stalls_takes_the_episode_off_every_list(client: Any) -> None:
    episode = published(golden_wave())
    urls = {**surfaces(episode), **listings()}
    for url in urls.values():
        assert client.get(url).status_code == 200  # all cached for a day
    with pytest.MonkeyPatch.context() as stalled:
        stall_the_cache(stalled)
        episode_withdraw(episode=episode, reason="Feil i tallgrunnlaget.")  # succeeds
        assert "Feil i tallgrunnlaget." in text(client.get(urls["page"]))
    # The cache answers again, still holding what was built while the episode was published.
    page = text(client.get(urls["page"]))
    assert "Feil i tallgrunnlaget." in page
    assert "Slik ligger det an." not in page
    for name in ("rss", "atom", "series rss", "api list"):
        assert episode.title not in text(client.get(urls[name])), name
    assert surfaces(episode)["page"] not in text(client.get(urls["sitemap"]))
    api = client.get(urls["api"]).json()
    assert (api["status"], api["figures"], api["body"]) == ("withdrawn", None, "")


def test_publishing_while_the_cache_stalls_shows_the_episode_once_it_answers(client: Any) -> None:
    episode = scheduled(golden_wave())
    urls = {**surfaces(episode), **listings()}
    for url in urls.values():
        client.get(url)  # the lists are cached without it
    with pytest.MonkeyPatch.context() as stalled:
        stall_the_cache(stalled)
        publish(episode)
        assert client.get(urls["page"]).status_code == 200
    for name in ("index", "rss", "atom", "api list"):
        assert episode.title in text(client.get(urls[name])), name


def test_editors_preview_before_the_time_and_nobody_else_does(client: Any) -> None:
    episode = scheduled(golden_wave())
    page = surfaces(episode)["page"]
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    assert client.get(page).status_code == 404
    client.force_login(UserFactory(roles=[Role.EDITOR]))
    preview = client.get(page)
    assert preview.status_code == 200
    assert "Forhåndsvisning" in text(preview) or "Preview" in text(preview)
    assert "65,6" in text(preview)  # the figures publishing would freeze: 590 / 9
    assert 'name="robots" content="noindex"' in text(preview)
    client.logout()
    assert client.get(page).status_code == 404  # the preview was not cached for the public


def test_the_episode_page_shows_frozen_figures_with_n_interval_and_change(client: Any) -> None:
    episode = published(golden_wave())
    page = text(client.get(surfaces(episode)["page"]))
    assert "65,6" in page  # the overall score
    assert page.count('role="img"') == 2  # a chart per block
    assert page.count('class="results-table stack-on-phone"') == 2  # and its table
    assert "Foreløpige resultater" in page
    english = text(client.get(surfaces(episode, "en")["page"]))
    assert "65.6" in english
    assert "Provisional results" in english
    assert 'lang="nb"' in english  # no English text: the Norwegian is marked as such


def test_open_graph_and_the_share_image(client: Any) -> None:
    episode = published(golden_wave())
    page = text(client.get(surfaces(episode)["page"]))
    meta = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', page))
    assert meta["og:title"] == episode.title
    assert meta["og:type"] == "article"
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["og:image"].startswith("http://testserver/")
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
    image = client.get(meta["og:image"].removeprefix("http://testserver"))
    assert image["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(image.content)) as png:
        assert (png.format, png.size) == ("PNG", (1200, 630))


def test_feeds_are_rss_and_atom_with_the_episode(client: Any) -> None:
    episode = published(golden_wave())
    urls = {**surfaces(episode), **listings()}
    rss = ElementTree.fromstring(client.get(urls["rss"]).content)  # noqa: S314 (our own feed)
    assert rss.tag == "rss"
    item = rss.find("channel/item")
    assert item is not None
    assert item.findtext("title") == f"Episode 1: {episode.title}"
    assert item.findtext("link", "").endswith(urls["page"])
    atom = ElementTree.fromstring(client.get(urls["series atom"]).content)  # noqa: S314
    assert atom.tag == "{http://www.w3.org/2005/Atom}feed"
    assert len(atom.findall("{http://www.w3.org/2005/Atom}entry")) == 1


def test_the_api_gives_partners_the_frozen_figures(client: Any) -> None:
    episode = published(golden_wave())
    listed = client.get(reverse("episode-list"), {"study": "ksp"}).json()
    assert listed["count"] == 1
    found = listed["results"][0]
    assert found["figures"]["headline"]["value"] == pytest.approx(590 / 9)
    assert found["figures"]["blocks"][1]["rows"][0]["label"] == {
        "nb": "Telefon",
        "en": "Phone",
    }
    assert found["provisional"] is True
    assert found["url"].endswith(surfaces(episode)["page"])
    assert client.get(reverse("episode-list"), {"study": "annen"}).json()["count"] == 0


def test_pages_stay_within_the_query_budget_and_hits_ask_only_what_is_public(
    client: Any,
) -> None:
    episode = published(golden_wave())
    # A hit asks whether the episode (series) is public and the version; a list, the version.
    for url, on_a_hit in [
        (surfaces(episode)["page"], 2),
        (surfaces(episode)["series"], 2),
        (listings()["index"], 1),
    ]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) <= QUERY_BUDGET, [q["sql"][:120] for q in queries]
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) == on_a_hit, [q["sql"][:120] for q in queries]


XSS_BODY = """Hei <script>window.pwned = 1</script>

<img src=x onerror="window.pwned = 2">

[klikk](javascript:window.pwned=3) [data](data:text/html,<script>alert(1)</script>)

<iframe src="https://evil.example/"></iframe>

<a href="#" onclick="window.pwned = 4">lenke</a>
"""


class Elements(HTMLParser):
    """Every element and attribute a browser would build from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def test_what_editors_write_reaches_readers_inert(client: Any) -> None:
    episode = published(
        golden_wave(),
        title='<script>window.pwned = 5</script>"><b>',
        lead="<img src=x onerror=alert(1)>",
        body=XSS_BODY,
    )
    page = text(client.get(surfaces(episode)["page"]))
    parser = Elements()
    parser.feed(page)
    tags = {tag for tag, _attrs in parser.found}
    assert not tags & {"iframe", "img", "object", "embed"}
    scripts = [attrs for tag, attrs in parser.found if tag == "script"]
    assert all(attrs.get("src", "").startswith("/static/") for attrs in scripts)
    for tag, attrs in parser.found:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action"):
            assert not attrs.get(name, "").strip().lower().startswith(("javascript:", "data:"))
    assert "&lt;script&gt;window.pwned = 5&lt;/script&gt;" in page


def test_links_must_be_web_addresses(client: Any) -> None:
    wave = golden_wave()
    client.force_login(UserFactory(roles=[Role.EDITOR]))
    response = client.post(
        reverse("staff-episode-create", args=[wave.pk]),
        {
            "number": 1,
            "title": "T",
            "lead": "L",
            "body": "B",
            "cutoff": "2026-03-31",
            "webinar_url": "javascript:alert(1)",
            "recording_url": "data:text/html,x",
        },
    )
    assert response.status_code == 400
    assert not TemperatureUpdate.objects.exists()


def test_a_youtube_recording_plays_in_the_nocookie_player_only_on_request(client: Any) -> None:
    episode = published(golden_wave(), recording_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    page = text(client.get(surfaces(episode)["page"]))
    assert 'data-embed-src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in page
    assert "<iframe" not in page
    assert "<script>" not in page
    assert "onclick" not in page
    assert 'style="' not in page


def confirm_link(message: Any) -> str:
    return re.search(r"http://[^\s]+/confirm/[^\s]+/|http://[^\s]+/bekreft/[^\s]+/", message.body)[
        0
    ]


def test_subscribe_confirm_twice_unsubscribe_resubscribe_gets_exactly_the_mails(
    client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wave = golden_wave()
    subscribe_url = reverse("temperature-subscribe")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(subscribe_url, {"email": "Kari@Example.no", "language": "nb"})
    assert [m.to for m in mail.outbox] == [["kari@example.no"]]  # the confirmation
    link = confirm_link(mail.outbox[0]).removeprefix("http://127.0.0.1:8000")
    assert "kan ikke" not in text(client.get(link))  # GET only shows the button
    assert Subscriber.objects.get().status == SubscriberStatus.PENDING
    assert "Takk" in text(client.post(link))
    assert "allerede" in text(client.post(link))  # twice: nothing changes
    first = published(wave)
    assert [m.to for m in mail.outbox[1:]] == [["kari@example.no"]]
    unsubscribe = mail.outbox[1].extra_headers["List-Unsubscribe"].strip("<>")
    one_click = client.post(
        unsubscribe.removeprefix("http://127.0.0.1:8000"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200
    second = published(wave, number=2)
    assert len(mail.outbox) == 2  # nothing after unsubscribing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(subscribe_url, {"email": "kari@example.no", "language": "en"})
    assert len(mail.outbox) == 3  # a new confirmation, in English now
    assert "Confirm" in mail.outbox[2].body
    client.post(confirm_link(mail.outbox[2]).removeprefix("http://127.0.0.1:8000"))
    published(wave, number=3)
    assert [m.to for m in mail.outbox[3:]] == [["kari@example.no"]]
    assert "episode 3" in mail.outbox[3].subject
    assert first.deliveries.count() == 1
    assert second.deliveries.count() == 0


def test_asking_again_soon_sends_no_second_confirmation_and_says_the_same(
    client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    url = reverse("temperature-subscribe")

    def ask(email: str) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            page = text(client.post(url, {"email": email, "language": "nb"}))
        return page.split("<main", 1)[1].split("</main>", 1)[0]

    first = ask("ola@example.no")
    second = ask("ola@example.no")
    assert len(mail.outbox) == 1
    subscribe("kari@example.no")
    third = ask("kari@example.no")
    assert len(mail.outbox) == 1  # already subscribed: nothing sent, nothing told
    assert first == second == third
    bad = client.post(url, {"email": "ikke en adresse", "language": "nb"})
    assert bad.status_code == 400


def test_forged_and_expired_links_do_nothing(client: Any) -> None:
    reader = Subscriber.objects.create(email="a@example.no", language="nb")
    token = subscriber_token(reader, purpose="confirm")
    assert client.post(reverse("temperature-confirm", args=[token + "x"])).status_code == 404
    # An unsubscribe link is not a confirmation link.
    other = subscriber_token(reader, purpose="unsubscribe")
    assert client.post(reverse("temperature-confirm", args=[other])).status_code == 404
    with pytest.MonkeyPatch.context() as later:
        later.setattr(
            "django.core.signing.time.time",
            lambda: timezone.now().timestamp() + 8 * 24 * 3600,
        )
        assert client.post(reverse("temperature-confirm", args=[token])).status_code == 404
    reader.refresh_from_db()
    assert reader.status == SubscriberStatus.PENDING


def test_an_editor_writes_inserts_figures_and_schedules_from_the_console(client: Any) -> None:
    wave = golden_wave()
    client.force_login(UserFactory(roles=[Role.EDITOR]))
    assert client.get(reverse("staff-episode-list")).status_code == 200
    created = client.post(
        reverse("staff-episode-create", args=[wave.pk]),
        {
            "number": 1,
            "title": "Temperaturen",
            "lead": "Ingressen.",
            "body": "Første avsnitt.\n\nAndre avsnitt.",
            "cutoff": "2026-03-31",
        },
    )
    episode = TemperatureUpdate.objects.get()
    assert created["Location"] == reverse("staff-episode-edit", args=[episode.pk])
    edit = reverse("staff-episode-edit", args=[episode.pk])
    form = {
        "number": 1,
        "title": "Temperaturen",
        "lead": "Ingressen.",
        "body": "Første avsnitt.\n\nAndre avsnitt.",
        "cutoff": "2026-03-31",
    }
    client.post(edit, {**form, "figure": "channels", "cursor": 3, "action": "add_block"})
    episode.refresh_from_db()
    assert episode.body.startswith("Første avsnitt.\n\n[[figur 1]]\n\nAndre")
    form["body"] = episode.body
    refused = client.post(
        edit, {**form, "title": "Endret", "publish_at": "2026-03-31T12:00", "action": "schedule"}
    )
    assert refused.status_code == 400
    episode.refresh_from_db()
    assert (episode.title, episode.status) == ("Temperaturen", EpisodeStatus.DRAFT)  # nothing
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(edit, {**form, "publish_at": "2026-04-02T08:00", "action": "schedule"})
    assert done.status_code == 302
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.SCHEDULED
    assert "Tall fra resultatene til og med 31. mars 2026" in text(client.get(edit))
    page = client.get(reverse("temperature-episode", args=["ksp", wave.slug, 1]))
    assert page.status_code == 200  # the editor's preview
    assert "Første avsnitt." in text(page)


def test_the_console_query_budget(client: Any, django_assert_max_num_queries: Any) -> None:
    wave = golden_wave()
    for number in range(1, 4):
        published(wave, number=number)
    client.force_login(UserFactory(roles=[Role.EDITOR]))
    with django_assert_max_num_queries(10):
        assert client.get(reverse("staff-episode-list")).status_code == 200
    episode = TemperatureUpdate.objects.first()
    with django_assert_max_num_queries(20):
        assert client.get(reverse("staff-episode-edit", args=[episode.pk])).status_code == 200


def test_another_app_adds_a_link_that_a_cached_page_follows(client: Any) -> None:
    """The award night's link: awards registers it; surveys never imports awards."""
    from kundeservice.caching import visibility_bump
    from surveys.extensions import EpisodeLink, register_episode_link, unregister_episode_link

    shown: dict[str, tuple[str, str] | None] = {"link": None}
    award_night = EpisodeLink(namespace="awards", link=lambda wave: shown["link"])
    episode = published(golden_wave())
    page = surfaces(episode)["page"]
    register_episode_link(award_night)
    try:
        assert "Prisutdelingen" not in text(client.get(page))  # cached without a link
        shown["link"] = ("Prisutdelingen 2026", "/priser/2026/")
        visibility_bump("awards")  # as awards does when its page goes public
        assert '<a href="/priser/2026/">Prisutdelingen 2026</a>' in text(client.get(page))
    finally:
        unregister_episode_link(award_night)
