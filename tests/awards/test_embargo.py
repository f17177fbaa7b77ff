"""The award's embargo: before the finalists' time and before each reveal, anonymous readers and
every role but the award managers learn nothing — on pages, the API, downloads, the live feed,
diplomas, company pages, the admin, and cached pages, including when the cache fails during the
reveal or its undo."""

import csv
import datetime
import io
import json
from typing import Any

import pytest
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from awards.models import AwardCategory, CategoryKind, EventState
from awards.services.categories import category_confirm, category_reveal, category_unreveal
from awards.services.events import event_state_set
from awards.services.jury import criterion_add, member_add, nominee_add
from kundeservice.roles import Role
from tests.awards.factories import AwardEventFactory, published_league, rule_category
from tests.awards.test_finalists import GOLDEN
from tests.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db

ANON = "anonymous"
OUTSIDERS = [ANON, *(r.value for r in Role if r not in {Role.STAFF_ADMIN, Role.AWARD_MANAGER})]
WINNER = "Beta"  # the golden league's winner under "higher n"
WINNER_MARKS = ("award-winner", "award-badge")


def confirmed_night(*, state: str = EventState.FINALISTS_PUBLIC, **event: Any) -> AwardCategory:
    """An award night with one confirmed rule category (Beta wins; Alfa and Gamma finalists)."""
    wave, industry, _companies = published_league(GOLDEN)
    night = AwardEventFactory(state=state, **event)
    category = rule_category(night, wave, industry, minimum_n=20)
    category_confirm(category=category, by=UserFactory(roles=[Role.AWARD_MANAGER]))
    category.refresh_from_db()
    return category


def jury_category() -> AwardCategory:
    category = AwardCategory.objects.create(
        event=AwardEventFactory(), name="Juryens pris", kind=CategoryKind.JURY
    )
    nominee_add(
        category=category,
        company=CompanyFactory(),
        justification="Best i test.",
        document=ContentFile(b"%PDF-1.4\n%%EOF\n", name="nominasjon.pdf"),
    )
    criterion_add(category=category, name="Kreativitet", weight=1)
    member_add(category=category, username=UserFactory().username)
    return category


def as_role(client: Any, role: str) -> Any:
    if role != ANON:
        client.force_login(UserFactory(roles=[role]))
    return client


def pages(category: AwardCategory) -> dict[str, str]:
    slug = category.event.slug
    return {
        "event": reverse("award-event", args=[slug]),
        "live": reverse("award-live", args=[slug]),
        "feed": reverse("award-live-feed", args=[slug]),
        "winners": reverse("award-winners", args=[slug]),
        "csv": reverse("award-winners", args=[slug]) + "?download=winners&format=csv",
        "json": reverse("award-winners", args=[slug]) + "?download=winners&format=json",
        "api": f"/api/v1/awards/events/{slug}/",
    }


def everything(client: Any, category: AwardCategory) -> dict[str, Any]:
    found = {name: client.get(url) for name, url in pages(category).items()}
    found["diploma"] = client.get(reverse("award-diploma", args=[category.event.slug, category.pk]))
    return found


@pytest.mark.parametrize("role", OUTSIDERS)
def test_a_draft_night_does_not_exist_for_outsiders(client: Any, role: str) -> None:
    category = confirmed_night(state=EventState.DRAFT)
    responses = everything(as_role(client, role), category)
    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 404)
    assert category.event.slug not in client.get("/api/v1/awards/events/").content.decode()
    assert category.event.slug not in client.get(reverse("award-event-list")).content.decode()


@pytest.mark.parametrize("role", OUTSIDERS)
def test_before_their_time_the_finalists_are_nowhere(client: Any, role: str) -> None:
    category = confirmed_night(finalists_public_at=timezone.now() + datetime.timedelta(days=2))
    responses = everything(as_role(client, role), category)
    assert responses["diploma"].status_code == 404
    for name, response in responses.items():
        if name == "diploma":
            continue
        assert response.status_code == 200, name
        body = response.content.decode("utf-8-sig")
        for finalist in ("Alfa", "Beta", "Gamma"):
            assert finalist not in body, (name, finalist)
    assert json.loads(responses["api"].content)["categories"][0]["finalists"] == []


@pytest.mark.parametrize("role", OUTSIDERS)
def test_finalists_public_but_the_winner_unrevealed(client: Any, role: str) -> None:
    category = confirmed_night()
    responses = everything(as_role(client, role), category)
    assert responses["diploma"].status_code == 404
    assert "Alfa" in responses["event"].content.decode()
    for name in ("event", "live", "feed", "winners"):
        body = responses[name].content.decode()
        assert not any(mark in body for mark in WINNER_MARKS), name
    api = json.loads(responses["api"].content)["categories"][0]
    assert api["winner"] is None
    assert [f["entrant"] for f in api["finalists"]] == ["Beta", "Alfa", "Gamma"]
    rows = json.loads(responses["json"].content)["categories"]
    assert [(r["entrant"], r["winner"]) for r in rows] == [
        ("Beta", False),
        ("Alfa", False),
        ("Gamma", False),
    ]
    table = csv.DictReader(io.StringIO(responses["csv"].content.decode("utf-8-sig")), delimiter=";")
    assert {row["winner"] for row in table} == {"false"}


@pytest.mark.parametrize("role", OUTSIDERS)
def test_after_the_reveal_the_winner_is_everywhere(client: Any, role: str) -> None:
    category = confirmed_night()
    manager = UserFactory(roles=[Role.AWARD_MANAGER])
    event_state_set(event=category.event, state=EventState.LIVE, by=manager)
    category_reveal(category=category, by=manager)
    responses = everything(as_role(client, role), category)
    assert responses["diploma"].status_code == 200
    assert responses["diploma"]["Content-Type"] == "application/pdf"
    for name in ("event", "live", "feed", "winners"):
        assert "award-winner" in responses[name].content.decode(), name
    api = json.loads(responses["api"].content)["categories"][0]
    assert api["winner"]["entrant"] == WINNER
    rows = json.loads(responses["json"].content)["categories"]
    assert [r["entrant"] for r in rows if r["winner"]] == [WINNER]


class CacheStalls(Exception):
    pass


def stall_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    def stalls(*_args: Any, **_kwargs: Any) -> Any:
        raise CacheStalls("timed out")

    backend = type(caches["default"])
    for method in ("get", "set", "delete", "add", "get_many", "set_many", "delete_many"):
        monkeypatch.setattr(backend, method, stalls)


def test_no_cache_serves_a_stale_reveal_state_even_when_it_fails_during_the_change(
    client: Any,
) -> None:
    category = confirmed_night()
    manager = UserFactory(roles=[Role.AWARD_MANAGER])
    event_state_set(event=category.event, state=EventState.LIVE, by=manager)
    url = pages(category)
    before = {name: client.get(u).content for name, u in url.items() if name != "feed"}
    assert all(b"award-winner" not in body for body in before.values())  # cached unrevealed
    with pytest.MonkeyPatch.context() as stalled:
        stall_the_cache(stalled)
        category_reveal(category=category, by=manager)
    for name, page in url.items():
        assert b"award-winner" in client.get(page).content or name in {"csv", "json", "api"}, name
    assert winners(client.get(url["json"])) == [WINNER]
    with pytest.MonkeyPatch.context() as stalled:
        stall_the_cache(stalled)
        category_unreveal(category=category, by=manager, reason="Feil kategori")
    for name, page in url.items():
        assert b"award-winner" not in client.get(page).content, name
    assert winners(client.get(url["json"])) == []


def winners(download: Any) -> list[str]:
    return [r["entrant"] for r in json.loads(download.content)["categories"] if r["winner"]]


def test_a_cache_hit_rechecks_the_event_itself(client: Any) -> None:
    category = confirmed_night()
    page = pages(category)["event"]
    assert client.get(page).status_code == 200  # cached
    type(category.event).objects.filter(pk=category.event_id).update(state=EventState.DRAFT)
    assert client.get(page).status_code == 404  # no version moved: the check on the hit did it


def test_the_live_feed_answers_304_until_a_reveal(client: Any) -> None:
    category = confirmed_night()
    manager = UserFactory(roles=[Role.AWARD_MANAGER])
    event_state_set(event=category.event, state=EventState.LIVE, by=manager)
    feed = pages(category)["feed"]
    first = client.get(feed)
    etag = first["ETag"]
    assert client.get(feed, HTTP_IF_NONE_MATCH=etag).status_code == 304
    category_reveal(category=category, by=manager)
    changed = client.get(feed, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert WINNER in changed.content.decode()


def test_a_company_page_shows_its_prize_only_once_revealed(client: Any) -> None:
    from surveys.models import ResultSet

    category = confirmed_night()
    manager = UserFactory(roles=[Role.AWARD_MANAGER])
    result_set = ResultSet.objects.get(is_current=True)
    page = reverse(
        "results-company",
        kwargs={
            "study": result_set.wave.study.slug,
            "wave": result_set.wave.slug,
            "company": "beta",
        },
    )
    beta = category.placements.get(is_winner=True).company
    page = page.replace("/beta/", f"/{beta.slug}/")
    assert category.display_name not in client.get(page).content.decode()  # and now cached
    event_state_set(event=category.event, state=EventState.LIVE, by=manager)
    category_reveal(category=category, by=manager)
    assert category.display_name in client.get(page).content.decode()


def test_the_admin_hides_the_award_from_staff_who_do_not_run_it(client: Any) -> None:
    confirmed_night()
    staff = UserFactory(roles=[Role.EDITOR], is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/awards/awardcategory/").status_code == 403
    assert client.get("/admin/awards/placement/").status_code == 403


def test_an_episode_links_the_award_night_only_once_it_is_public(client: Any) -> None:
    from surveys.models import TemperatureUpdate
    from tests.surveys.services.test_aggregation import golden_wave
    from tests.surveys.services.test_episodes import published

    episode: TemperatureUpdate = published(golden_wave())
    page = reverse(
        "temperature-episode", args=[episode.wave.study.slug, episode.wave.slug, episode.number]
    )
    night = AwardEventFactory(state=EventState.DRAFT, name="Kundeserviceprisen 2027")
    assert night.name not in client.get(page).content.decode()  # and the page is cached
    event_state_set(event=night, state=EventState.FINALISTS_PUBLIC, by=None)
    shown = client.get(page).content.decode()
    assert night.name in shown
    assert reverse("award-event", args=[night.slug]) in shown


def test_the_sitemap_lists_a_night_only_once_it_is_public(client: Any) -> None:
    night = AwardEventFactory(state=EventState.DRAFT)
    page = reverse("award-event", args=[night.slug])
    assert page not in client.get("/sitemap.xml").content.decode()  # and cached
    event_state_set(event=night, state=EventState.FINALISTS_PUBLIC, by=None)
    listed = client.get("/sitemap.xml").content.decode()
    assert page in listed
    assert reverse("award-winners", args=[night.slug]) in listed
