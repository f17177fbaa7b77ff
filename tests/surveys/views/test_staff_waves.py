"""Panel staff create a wave and attach a questionnaire version in the console (not only in the
admin or the API); bad input is explained and changes nothing."""

import datetime
from typing import Any

import pytest

from kundeservice.roles import Role
from surveys.models import Response, ResponseSource, StudyKind, Wave, WaveStatus
from surveys.services.builder import questionnaire_new_version
from tests.factories import (
    StudyFactory,
    UserFactory,
    WaveFactory,
    evaluation_questionnaire,
    ksindeks_questionnaire,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client: Any) -> Any:
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    return client


def form_data(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "KSIndeks høst 2027",
        "name_en": "",
        "slug": "",
        "starts_on": "2027-09-01",
        "ends_on": "2027-10-31",
        "status": "draft",
        "previous": "",
        "minimum_n": "",
        **overrides,
    }


def test_a_panel_manager_creates_a_wave_with_a_questionnaire_version(manager: Any) -> None:
    study = StudyFactory(name="KSIndeks", kind=StudyKind.PANEL)
    earlier = WaveFactory(study=study, starts_on=datetime.date(2026, 9, 1))
    questionnaire = ksindeks_questionnaire()
    page = manager.get("/staff/waves/")
    assert 'href="/staff/waves/new/"' in page.content.decode()
    form = manager.get("/staff/waves/new/").content.decode()
    assert f"{questionnaire.title}, versjon 1" in form

    created = manager.post(
        "/staff/waves/new/",
        form_data(
            study=study.pk, questionnaire=questionnaire.pk, previous=earlier.pk, status="open"
        ),
    )
    assert created.status_code == 302
    wave = Wave.objects.get(slug="ksindeks-host-2027")
    assert created["Location"] == f"/staff/waves/{wave.pk}/"
    assert (wave.questionnaire, wave.previous, wave.status) == (questionnaire, earlier, "open")
    assert wave.minimum_n == 50
    assert (
        f'href="/staff/waves/{wave.pk}/edit/"' in manager.get(created["Location"]).content.decode()
    )


def test_a_new_questionnaire_version_is_attached_until_the_wave_has_responses(
    manager: Any,
) -> None:
    wave = WaveFactory()
    newer = questionnaire_new_version(questionnaire=wave.questionnaire)
    url = f"/staff/waves/{wave.pk}/edit/"
    data = form_data(
        name=wave.name,
        slug=wave.slug,
        questionnaire=newer.pk,
        starts_on="2026-01-01",
        ends_on="2026-12-31",
        status=wave.status,
    )
    assert manager.post(url, data).status_code == 302
    wave.refresh_from_db()
    assert wave.questionnaire == newer

    Response.objects.create(wave=wave, source=ResponseSource.PANEL)
    refused = manager.post(url, data | {"questionnaire": ksindeks_questionnaire().pk})
    assert refused.status_code == 400
    assert "Lag en ny bølge for den nye versjonen." in refused.content.decode()
    wave.refresh_from_db()
    assert wave.questionnaire == newer


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_on": "2027-08-01"}, "Bølgen kan ikke slutte før den starter."),
        ({"starts_on": "1. september"}, "Oppgi en gyldig dato."),
        (
            {"questionnaire": "evaluation"},
            "Et observatørskjema er bare for mystery shopping-bølger.",
        ),
        ({"slug": "taken"}, "Studien har allerede en bølge med denne adressen."),
        ({"name": "", "slug": ""}, "Dette feltet er påkrevd."),
    ],
)
def test_bad_input_is_explained_and_saves_nothing(
    manager: Any, overrides: dict[str, Any], message: str
) -> None:
    study = StudyFactory(kind=StudyKind.PANEL)
    WaveFactory(study=study, slug="taken")
    data = form_data(study=study.pk, questionnaire=ksindeks_questionnaire().pk) | overrides
    if data["questionnaire"] == "evaluation":
        data["questionnaire"] = evaluation_questionnaire().pk
    before = Wave.objects.count()
    response = manager.post("/staff/waves/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Wave.objects.count() == before
    assert not Wave.objects.filter(status=WaveStatus.OPEN, name="KSIndeks høst 2027").exists()
