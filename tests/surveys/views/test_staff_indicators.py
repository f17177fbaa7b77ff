"""The staff console's industry groups and derived indicators."""

from typing import Any

import pytest
from django.urls import reverse

from kundeservice.roles import Role
from surveys.models import Indicator, IndustryGroup
from tests.factories import IndustryFactory, UserFactory, WaveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Any) -> Any:
    client.force_login(UserFactory(roles=[Role.STAFF_ADMIN]))
    return client


def test_an_industry_group_needs_two_industries(staff: Any) -> None:
    tele, broadband = IndustryFactory(slug="telefoni"), IndustryFactory(slug="bredband")
    url = reverse("staff-industry-group-create")
    one = staff.post(url, {"name": "Tele", "slug": "tele", "industries": [tele.pk], "position": 0})
    assert one.status_code == 400
    assert "En gruppe trenger minst to bransjer." in one.content.decode()
    assert not IndustryGroup.objects.exists()
    made = staff.post(
        url,
        {"name": "Tele", "slug": "tele", "industries": [tele.pk, broadband.pk], "position": 0},
        follow=True,
    )
    assert "Tele" in made.content.decode()
    group = IndustryGroup.objects.get()
    assert set(group.industries.all()) == {tele, broadband}


def test_a_wave_picks_groups_and_builds_an_indicator_from_tests(staff: Any) -> None:
    wave = WaveFactory()
    group = IndustryGroup.objects.create(slug="tele", name="Tele")
    page = reverse("staff-wave-indicators", args=[wave.pk])
    staff.post(page, {"industry_groups": [group.pk]})
    assert list(wave.industry_groups.all()) == [group]
    created = staff.post(
        reverse("staff-indicator-create", args=[wave.pk]),
        {
            "name": "Løst ved første kontakt",
            "key": "fcr",
            "scope": "questionnaire",
            "base": "answered",
            "combine": "all",
            "q1": "resolved",
            "test1": "in",
            "values1": "Ja",  # a label: the form finds its code
            "q2": "must_contact_again",
            "test2": "in",
            "values2": "no",
        },
    )
    assert created.status_code == 302, created.content.decode()
    indicator = Indicator.objects.get()
    assert indicator.questionnaire_slug == wave.questionnaire.slug
    assert indicator.condition == {
        "all": [
            {"q": "resolved", "in": ["yes"]},
            {"q": "must_contact_again", "in": ["no"]},
        ]
    }
    listing = staff.get(page).content.decode()
    assert "Løst ved første kontakt" in listing
    edit = staff.get(reverse("staff-indicator-edit", args=[wave.pk, indicator.pk]))
    assert 'value="yes"' in edit.content.decode()  # its tests are shown as rows again


def test_a_top_box_indicator_and_every_mistake_shown(staff: Any) -> None:
    wave = WaveFactory()
    url = reverse("staff-indicator-create", args=[wave.pk])
    base = {"name": "Lojale", "key": "lojale", "scope": "wave", "base": "answered"}
    wrong = staff.post(url, {**base, "q1": "satisfaction", "test1": "range", "values1": "7"})
    assert wrong.status_code == 400
    assert "utenfor skalaen" in wrong.content.decode()
    assert not Indicator.objects.exists()
    top_box = staff.post(url, {**base, "q1": "satisfaction", "test1": "range", "values1": "6"})
    assert top_box.status_code == 302
    assert Indicator.objects.get().condition == {"q": "satisfaction", "min": 6, "max": 6}
    nested = {"condition_json": '{"any": [{"not": {"q": "resolved", "in": ["yes"]}}]}'}
    staff.post(url, {**base, "key": "json", **nested})
    assert Indicator.objects.get(key="json").condition == {
        "any": [{"not": {"q": "resolved", "in": ["yes"]}}]
    }
    broken = staff.post(url, {**base, "key": "x", "condition_json": "{nope"})
    assert broken.status_code == 400
