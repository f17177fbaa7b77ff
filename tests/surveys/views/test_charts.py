"""Every chart the site draws, rendered in bokmål: the numbers an SVG is drawn from are read by
the browser, never by a person, so they are never localised ("300,0" is no width at all). The
text a person reads inside a chart is localised like the rest of the page."""

import re
from typing import Any

import pytest

from kundeservice.roles import Role
from surveys.models import ResultSet
from surveys.services.publishing import wave_publish
from tests.factories import EVALUATION_BEST, UserFactory, calibration_exercise
from tests.surveys.services.test_aggregation import golden_wave, run
from tests.surveys.services.test_episodes import published as published_episode

pytestmark = pytest.mark.django_db

#: SVG attributes holding numbers (viewBox holds four).
NUMERIC = ("viewBox", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height")
MACHINE_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def svg_numbers(html: str) -> list[tuple[str, str]]:
    """Every numeric attribute of every element inside every <svg> of the page."""
    found = []
    for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        for tag in re.findall(r"<[a-zA-Z]+\b[^>]*>", svg):
            for name, value in re.findall(r'\s([A-Za-z0-9]+)="([^"]*)"', tag):
                if name in NUMERIC:
                    found.append((name, value))
    return found


def assert_machine_readable(html: str, *, at_least: int) -> None:
    svgs = html.count("<svg")
    assert svgs >= at_least, f"expected {at_least} charts, found {svgs}"
    numbers = svg_numbers(html)
    assert numbers
    bad = [
        (name, value)
        for name, value in numbers
        if not all(MACHINE_NUMBER.fullmatch(part) for part in value.split())
    ]
    assert not bad, bad


def test_calibration_charts_are_drawn_in_bokmal(client: Any) -> None:
    exercise = calibration_exercise(observers=2)
    first, second = exercise.observers.order_by("pk")
    url = f"/observer/calibration/{exercise.pk}/"
    client.force_login(first.user)
    assert client.post(url, {"action": "submit", **EVALUATION_BEST}).status_code == 302
    client.force_login(second.user)
    assert (
        client.post(url, {"action": "submit", **EVALUATION_BEST, "valued": "no"}).status_code == 302
    )
    client.force_login(UserFactory(roles=[Role.STAFF_ADMIN]))
    html = client.get(f"/staff/calibration/{exercise.pk}/").content.decode()
    assert 'lang="nb"' in html
    assert_machine_readable(html, at_least=2)  # agreement per question, drift per observer
    assert 'width="300.0"' in html or 'width="300"' in html  # full agreement is a full bar
    # What a person reads is still bokmål: the drift in points with a decimal comma.
    assert "+8,3" in html
    assert "−8,3" in html or "-8,3" in html


def test_results_and_episode_charts_are_drawn_in_bokmal(client: Any) -> None:
    wave = golden_wave()
    result_set: ResultSet = run(wave)
    wave_publish(wave=wave, public=True)
    base = f"/resultater/{wave.study.slug}/{wave.slug}/"
    overview = client.get(base).content.decode()
    assert_machine_readable(overview, at_least=2)  # the channel bars and interval bars
    company = client.get(f"{base}virksomhet/alfa/").content.decode()
    assert_machine_readable(company, at_least=1)
    assert result_set.rows.exists()

    episode = published_episode(wave)
    page = client.get(
        f"/temperatur/{episode.wave.study.slug}/{episode.wave.slug}/{episode.number}/"
    ).content.decode()
    assert_machine_readable(page, at_least=2)  # a chart per figure block
