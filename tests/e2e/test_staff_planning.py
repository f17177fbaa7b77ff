"""Staff plan an observation wave and move a contact with the keyboard; the calibration report
and the observer's scoring page. Every page passes axe and fits a 360 px phone."""

from typing import Any

import factory
import pytest

from kundeservice.roles import Role
from surveys.models import Assignment, AssignmentStatus, ObservationSetup
from surveys.services.assignments import assignments_plan
from surveys.services.calibration import calibration_rate
from tests.e2e.conftest import assert_accessible, assert_fits_width, wait_for_path
from tests.factories import (
    EVALUATION_BEST,
    TEST_PASSWORD,
    CompanyFactory,
    ObserverFactory,
    UserFactory,
    calibration_exercise,
    observation_wave,
)
from tests.surveys.views.test_staff_observations import planned_wave

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Any, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_label("Username").focus()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")


def test_plan_a_wave_and_move_a_contact(live_server: Any, page: Any) -> None:
    wave = planned_wave()
    free = ObserverFactory(weekly_capacity=20, user__first_name="Fri", user__last_name="Ledig")
    UserFactory(username="planner", roles=[Role.PANEL_MANAGER])
    setup_path = f"/en/staff/waves/{wave.pk}/observation/"
    log_in(page, live_server.url + setup_path, "planner")
    wait_for_path(page, setup_path)
    assert_accessible(page)
    assert_fits_width(page)

    page.get_by_role("button", name="Plan", exact=True).press("Enter")
    page.get_by_text("8 contacts planned.", exact=True).wait_for()
    page.get_by_role("link", name="See the plan grid").first.press("Enter")
    wait_for_path(page, f"/en/staff/waves/{wave.pk}/plan/")
    assert_accessible(page)
    assert_fits_width(page)

    assignment = Assignment.objects.filter(wave=wave).order_by("company__name", "week").first()
    page.locator(f'a[href="/en/staff/assignments/{assignment.pk}/move/"]').press("Enter")
    wait_for_path(page, f"/en/staff/assignments/{assignment.pk}/move/")
    assert_accessible(page)
    assert_fits_width(page)
    page.get_by_label("Observer").select_option(str(free.pk))
    page.get_by_role("button", name="Move").press("Enter")
    wait_for_path(page, f"/en/staff/waves/{wave.pk}/plan/")
    assert "now week" in page.locator(".messages").inner_text()
    assert Assignment.objects.get(pk=assignment.pk).observer == free


def test_calibration_report_and_scoring_pages(live_server: Any, page: Any) -> None:
    exercise = calibration_exercise(observers=3)
    first, second, third = exercise.observers.order_by("pk")
    calibration_rate(exercise=exercise, observer=first, answers=EVALUATION_BEST)
    calibration_rate(
        exercise=exercise, observer=second, answers={**EVALUATION_BEST, "valued": "no"}
    )
    UserFactory(username="lead", roles=[Role.STAFF_ADMIN])
    detail = f"/en/staff/calibration/{exercise.pk}/"
    log_in(page, live_server.url + detail, "lead")
    wait_for_path(page, detail)
    assert page.get_by_role("img", name="Percent agreement per question").is_visible()
    assert_accessible(page)
    assert_fits_width(page)

    page.context.clear_cookies()
    third.user.username = "tredje"
    third.user.save()
    scoring = f"/en/observer/calibration/{exercise.pk}/"
    log_in(page, live_server.url + scoring, "tredje")
    wait_for_path(page, scoring)
    assert_accessible(page)
    assert_fits_width(page)
    page.get_by_role("button", name="Submit scoring").press("Enter")
    page.locator("#error-summary").wait_for()
    assert_accessible(page)


def test_a_big_plan_scrolls_inside_its_own_region(live_server: Any, page: Any) -> None:
    """Sixteen weeks of many companies: the grid scrolls in its labelled region; the page itself
    never scrolls sideways (it did by 277 px on a desktop and 1176 px on a phone)."""
    wave = observation_wave(weeks=16)
    setup = ObservationSetup.objects.get(wave=wave)
    setup.contacts_per_company = 20
    setup.channel_shares = {"phone": 0.5, "chat": 0.25, "email": 0.25}
    setup.save()
    setup.companies.set(
        CompanyFactory.create_batch(6, name=factory.Sequence(lambda n: f"Sparebanken Vest {n} ASA"))
    )
    ObserverFactory.create_batch(20, weekly_capacity=10)
    assignments_plan(wave=wave)
    # Contacts already done are plain text with a visually hidden status, far to the right.
    Assignment.objects.filter(wave=wave, week__gte=12).update(status=AssignmentStatus.APPROVED)
    UserFactory(username="planner", roles=[Role.PANEL_MANAGER])
    plan = f"/en/staff/waves/{wave.pk}/plan/"
    log_in(page, live_server.url + plan, "planner")
    wait_for_path(page, plan)
    assert_fits_width(page)
    region = page.get_by_role("region", name="120 contacts")
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")
    assert_accessible(page)
