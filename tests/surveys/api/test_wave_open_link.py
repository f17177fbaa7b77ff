"""Staff set a poll's open link and show-results flag, in the API and in the admin."""

from typing import Any

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from kundeservice.roles import Role
from surveys.models import StudyKind, Wave
from tests.factories import StudyFactory, UserFactory, WaveFactory, poll_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[Role.PANEL_MANAGER]))
    return client


def test_a_poll_wave_gets_an_open_link_over_the_api(staff: APIClient) -> None:
    wave = poll_wave(open_slug=None)
    response = staff.patch(
        f"/api/v1/waves/{wave.pk}/",
        {"open_slug": "kanalvalg", "show_results": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["open_slug"], response.json()["show_results"]) == ("kanalvalg", True)
    wave.refresh_from_db()
    assert (wave.open_slug, wave.show_results) == ("kanalvalg", True)

    cleared = staff.patch(f"/api/v1/waves/{wave.pk}/", {"open_slug": ""}, format="json")
    assert cleared.status_code == 200
    assert Wave.objects.get(pk=wave.pk).open_slug is None


def test_only_poll_studies_get_an_open_link(staff: APIClient) -> None:
    panel_wave = WaveFactory(study=StudyFactory(kind=StudyKind.PANEL))
    refused = staff.patch(
        f"/api/v1/waves/{panel_wave.pk}/",
        {"open_slug": "kanalvalg"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 400
    assert refused.json()["open_slug"] == [
        "Only waves of an open-poll study can have an open link."
    ]
    assert Wave.objects.get(pk=panel_wave.pk).open_slug is None

    taken = poll_wave(open_slug="kanalvalg")
    duplicate = staff.patch(
        f"/api/v1/waves/{poll_wave().pk}/", {"open_slug": taken.open_slug}, format="json"
    )
    assert duplicate.status_code == 400
    assert "open_slug" in duplicate.json()


def test_the_admin_edits_the_open_link_and_refuses_it_on_a_panel_wave(client: Any) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    wave = poll_wave(open_slug=None)
    form = {
        "study": wave.study_id,
        "slug": wave.slug,
        "name": wave.name,
        "name_en": "",
        "questionnaire": wave.questionnaire_id,
        "starts_on": wave.starts_on.isoformat(),
        "ends_on": wave.ends_on.isoformat(),
        "status": wave.status,
        "minimum_n": 50,
        "invitation_valid_days": 21,
        "reminder_after_days": 4,
        "max_reminders": 2,
        "open_slug": "fra-admin",
        "show_results": "on",
    }
    saved = client.post(f"/admin/surveys/wave/{wave.pk}/change/", form)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    wave.refresh_from_db()
    assert (wave.open_slug, wave.show_results) == ("fra-admin", True)

    panel = StudyFactory(kind=StudyKind.PANEL)
    refused = client.post(
        f"/admin/surveys/wave/{wave.pk}/change/",
        {**form, "study": panel.pk},
    )
    assert refused.status_code == 200
    with translation.override("nb"):  # the admin speaks the site's default language
        message = translation.gettext("Only waves of an open-poll study can have an open link.")
    assert message in refused.content.decode()
    assert Wave.objects.get(pk=wave.pk).study_id == wave.study_id
