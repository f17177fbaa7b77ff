"""The public results: overview → industry → company, in bokmål and English, on a phone and a
desktop, with axe on every page; the staff run an aggregation and watch it finish."""

from typing import Any

import pytest

from kundeservice.roles import Role
from surveys.models import Wave
from surveys.services.publishing import wave_publish
from tests.e2e.conftest import assert_accessible, assert_fits_width, wait_for_path
from tests.e2e.test_staff_planning import log_in
from tests.factories import UserFactory
from tests.surveys.services.test_aggregation import golden_wave, run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published() -> Any:
    wave = golden_wave()
    run(wave)
    wave_publish(wave=wave, public=True)
    return wave


@pytest.mark.parametrize(
    ("start", "texts"),
    [
        (
            "/",
            {
                "results": "Resultater",
                "industry": "Bank",
                "score": "60,0",
                "tied": "statistisk likt",
                "suppressed": "Ikke publisert",
            },
        ),
        (
            "/en/",
            {
                "results": "Results",
                "industry": "Banking",
                "score": "60.0",
                "tied": "statistically tied",
                "suppressed": "Not published",
            },
        ),
    ],
)
def test_reader_goes_from_the_overview_to_a_company(
    live_server: Any, page: Any, published: Any, start: str, texts: dict[str, str]
) -> None:
    page.goto(live_server.url + start)
    page.get_by_role("link", name=texts["results"], exact=True).first.click()
    page.get_by_role("link", name=published.name).click()
    assert page.get_by_role("heading", level=1).inner_text() == published.name
    assert_fits_width(page)
    assert_accessible(page)

    page.get_by_role("link", name=texts["industry"], exact=True).first.click()
    assert page.get_by_role("heading", level=1).inner_text() == texts["industry"]
    league = page.get_by_role("table").first
    assert texts["tied"] in league.inner_text()
    assert_fits_width(page)
    assert_accessible(page)

    page.get_by_role("link", name="Alfa", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Alfa"
    assert texts["score"] in page.locator(".big-number").inner_text()
    assert_fits_width(page)
    assert_accessible(page)

    telecom = "Telefoni" if start == "/" else "Telecom"
    page.go_back()
    page.go_back()
    page.get_by_role("link", name=telecom, exact=True).first.click()
    assert texts["suppressed"] in page.get_by_role("table").first.inner_text()
    assert_accessible(page)


def test_staff_aggregate_publish_and_hide_by_keyboard(live_server: Any, page: Any) -> None:
    wave = golden_wave()
    UserFactory(username="analyst", roles=[Role.ANALYST])
    console = f"/en/staff/waves/{wave.pk}/results/"
    log_in(page, live_server.url + console, "analyst")
    wait_for_path(page, console)
    assert_accessible(page)
    assert_fits_width(page)
    page.get_by_label("Results through").fill("2026-12-31")
    page.get_by_role("button", name="Aggregate now").press("Enter")
    page.get_by_text("The aggregation is finished.").wait_for()
    page.get_by_role("button", name="Publish the results").press("Enter")
    page.get_by_text("The results are public.").first.wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Open the public page").press("Enter")
    wait_for_path(page, f"/en/results/{wave.study.slug}/{wave.slug}/")
    assert "65.6" in page.get_by_role("table").first.inner_text()
    assert_accessible(page)

    # Hiding asks first and says what the public will see; nothing changes until confirmed.
    page.goto(live_server.url + console)
    page.get_by_role("button", name="Hide from the public…").press("Enter")
    question = page.get_by_role("region", name="Hide the results from the public?")
    question.wait_for()
    assert "answer «not found»" in question.inner_text()
    assert_accessible(page)
    assert_fits_width(page)
    assert Wave.objects.get(pk=wave.pk).is_public
    question.get_by_role("button", name="Yes, hide the results").press("Enter")
    page.get_by_text("The results are hidden from the public.").first.wait_for()
    assert not Wave.objects.get(pk=wave.pk).is_public
