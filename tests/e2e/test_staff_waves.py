"""A panel manager creates a wave with the keyboard and attaches a questionnaire version."""

from typing import Any

import pytest

from kundeservice.roles import Role
from surveys.models import StudyKind, Wave
from tests.e2e.conftest import assert_accessible, assert_fits_width, wait_for_path
from tests.e2e.test_staff_planning import log_in
from tests.factories import StudyFactory, UserFactory, ksindeks_questionnaire

pytestmark = pytest.mark.django_db(transaction=True)


def test_panel_manager_creates_a_wave(live_server: Any, page: Any) -> None:
    StudyFactory(name="KSIndeks", kind=StudyKind.PANEL)
    questionnaire = ksindeks_questionnaire()
    UserFactory(username="pm", roles=[Role.PANEL_MANAGER])
    log_in(page, live_server.url + "/en/staff/waves/", "pm")
    wait_for_path(page, "/en/staff/waves/")
    page.get_by_role("link", name="New wave").press("Enter")
    wait_for_path(page, "/en/staff/waves/new/")
    assert_accessible(page)
    assert_fits_width(page)

    page.get_by_label("Study").select_option(label="KSIndeks")
    page.get_by_label("Name (Norwegian)").fill("Høst 2027")
    version = page.get_by_label("Questionnaire version")
    version.select_option(value=str(questionnaire.pk))
    assert "version 1 (Customer survey)" in version.locator("option:checked").inner_text()
    page.get_by_label("Starts").fill("2027-09-01")
    page.get_by_label("Ends").fill("2027-08-01")
    page.get_by_role("button", name="Create the wave").press("Enter")
    page.get_by_role("link", name="Ends: The wave cannot end before it starts.").wait_for()
    assert_accessible(page)
    assert not Wave.objects.exists()

    page.get_by_label("Ends").fill("2027-10-31")
    page.get_by_label("Status").select_option(label="Collecting")
    page.get_by_role("button", name="Create the wave").press("Enter")
    page.get_by_role("heading", level=1, name="Høst 2027").wait_for()
    wave = Wave.objects.get()
    assert page.url.endswith(f"/en/staff/waves/{wave.pk}/")
    assert (wave.slug, wave.questionnaire, wave.status) == ("host-2027", questionnaire, "open")
    assert_accessible(page)
    assert_fits_width(page)
