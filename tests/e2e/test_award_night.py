"""The award night in two browsers: the manager reveals three categories on the presenter
screen with the keyboard; a phone on the public live page sees each winner appear without a
reload. axe checks the presenter, live, event, winners and jury pages in bokmål and English."""

from typing import Any

import pytest

from awards.models import EventState, TieBreak
from awards.services.categories import category_confirm
from awards.services.events import event_state_set
from kundeservice.roles import Role
from tests.awards.factories import AwardEventFactory, published_league, rule_category
from tests.awards.test_embargo import jury_category
from tests.awards.test_finalists import GOLDEN
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_fits_width,
    wait_for_path,
)
from tests.e2e.test_staff_planning import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def night() -> Any:
    """A live night with three confirmed categories won by Beta, Alfa and Zeta."""
    wave, industry, _companies = published_league(GOLDEN)
    event = AwardEventFactory(name="Kundeserviceprisen 2026", name_en="The Award 2026")
    manager = UserFactory(username="sjef", roles=[Role.AWARD_MANAGER])
    specs = [
        ("Beste i bank", {"minimum_n": 20}),
        (
            "Beste kundebehandler",
            {"tie_break": TieBreak.OTHER_METRIC, "tie_break_measure": "area:agent"},
        ),
        ("Flest kontakter", {"minimum_n": 70}),
    ]
    for position, (name, extra) in enumerate(specs):
        category = rule_category(event, wave, industry, name=name, position=position, **extra)
        category_confirm(category=category, by=manager)
    event_state_set(event=event, state=EventState.LIVE, by=manager)
    return event


def test_the_manager_reveals_three_winners_and_a_phone_sees_each_live(
    live_server: Any, browser: Any, night: Any
) -> None:
    public = browser.new_context(viewport=PHONE, locale="nb-NO").new_page()
    public.set_default_timeout(10_000)
    public.goto(f"{live_server.url}/prisutdeling/{night.slug}/live/")
    public.evaluate("window.__notReloaded = true")
    assert public.get_by_text("Ingen vinner er avslørt ennå.").is_visible()
    assert_fits_width(public)
    assert_accessible(public)

    stage = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="nb-NO").new_page()
    stage.set_default_timeout(10_000)
    log_in(stage, f"{live_server.url}/en/staff/awards/{night.pk}/presenter/", "sjef")
    wait_for_path(stage, f"/en/staff/awards/{night.pk}/presenter/")
    assert_accessible(stage)
    for winner, category in [
        ("Beta", "Beste i bank"),
        ("Alfa", "Beste kundebehandler"),
        ("Zeta", "Flest kontakter"),
    ]:
        slide = stage.locator(".slide:not([hidden])")
        assert slide.get_by_role("heading", level=1).inner_text() == category
        stage.keyboard.press("ArrowRight")  # reveal
        slide.locator(".winner-name").filter(has_text=winner).wait_for()
        # The phone, never reloaded, shows the winner within a few seconds.
        public.locator(".award-category").filter(has_text=category).locator(".award-winner").filter(
            has_text=winner
        ).wait_for(timeout=5_000)
        assert public.evaluate("window.__notReloaded") is True
        stage.keyboard.press("ArrowRight")  # on to the next category
    assert public.get_by_text("3 av 3 priser delt ut").is_visible()
    assert_accessible(public)
    stage.context.close()
    public.context.close()


@pytest.mark.parametrize("language", ["nb", "en"])
def test_award_pages_are_accessible(
    live_server: Any, browser: Any, night: Any, language: str
) -> None:
    prefix = "" if language == "nb" else "/en"
    base = "/prisutdeling" if language == "nb" else "/award"
    winners = "vinnere" if language == "nb" else "winners"
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(
            viewport=viewport, locale="nb-NO" if language == "nb" else "en-GB"
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        for path in (
            f"{base}/{night.slug}/",
            f"{base}/{night.slug}/live/",
            f"{base}/{night.slug}/{winners}/",
        ):
            page.goto(live_server.url + prefix + path)
            assert page.locator("html").get_attribute("lang") == language
            assert_fits_width(page)
            assert_accessible(page)
        context.close()
    jury = jury_category()
    member = jury.jury.get().user
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, f"{live_server.url}/en/jury/{jury.pk}/", member.username)
    wait_for_path(page, f"/en/jury/{jury.pk}/")
    assert_fits_width(page)
    assert_accessible(page)
    page.get_by_label("Kreativitet (1–10)").fill("8")
    page.get_by_role("button", name=jury.nominees.get().display_name).first.click()
    page.get_by_text("are saved").wait_for()
    assert page.get_by_label("Kreativitet (1–10)").input_value() == "8"
    assert_accessible(page)
    context.close()
