"""Staff who hold the results permission publish and hide results; hiding asks first and says
what the public will see. Panel managers and editors preview results but change nothing."""

from typing import Any

import pytest
from django.urls import reverse

from kundeservice.roles import Role
from surveys.models import ResultSet, Wave
from surveys.services.publishing import wave_publish
from tests.factories import UserFactory
from tests.surveys.services.test_aggregation import golden_wave, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def published() -> ResultSet:
    wave = golden_wave()
    result_set = run(wave)
    wave_publish(wave=wave, public=True)
    return result_set


def test_hiding_published_results_asks_first_and_says_what_the_public_will_see(
    client: Any, published: ResultSet
) -> None:
    wave = published.wave
    client.force_login(UserFactory(roles=[Role.ANALYST]))
    page = reverse("staff-wave-results", args=[wave.pk])
    asked = client.post(page, {"action": "unpublish"})
    assert asked.status_code == 200
    html = " ".join(asked.content.decode().split())
    assert Wave.objects.get(pk=wave.pk).is_public  # nothing changed yet
    assert "Skjule resultatene for publikum?" in html
    assert "svarer «ikke funnet»" in html
    assert 'name="confirm" value="yes"' in html
    assert client.get(reverse("results-wave", args=[wave.study.slug, wave.slug])).status_code == 200

    hidden = client.post(page, {"action": "unpublish", "confirm": "yes"})
    assert hidden.status_code == 302
    assert not Wave.objects.get(pk=wave.pk).is_public
    client.logout()
    assert client.get(reverse("results-wave", args=[wave.study.slug, wave.slug])).status_code == 404


@pytest.mark.parametrize("role", [Role.PANEL_MANAGER, Role.EDITOR])
def test_panel_managers_and_editors_preview_but_cannot_publish_or_hide(
    client: Any, published: ResultSet, role: Role
) -> None:
    wave = published.wave
    client.force_login(UserFactory(roles=[role]))
    page = reverse("staff-wave-results", args=[wave.pk])
    for action in ("unpublish", "publish", "aggregate"):
        assert client.post(page, {"action": action, "confirm": "yes"}).status_code == 403
    api = client.post(
        f"/api/v1/results/waves/{wave.pk}/publish/", {"public": False}, "application/json"
    )
    assert api.status_code == 403
    assert Wave.objects.get(pk=wave.pk).is_public
    wave_publish(wave=wave, public=False)
    preview = reverse("results-wave", args=[wave.study.slug, wave.slug])
    assert client.get(preview).status_code == 200
    listing = client.get(reverse("staff-results-list")).content.decode()
    assert preview in listing
    assert page not in listing  # no link to a page they may not open
