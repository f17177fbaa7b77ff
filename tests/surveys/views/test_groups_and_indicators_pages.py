"""Industry groups and derived indicators where people and programs read them: the results
pages, downloads, the results API, and the API staff define them with."""

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from kundeservice.roles import Role
from surveys.models import Indicator, Industry, IndustryGroup, ResultSet
from surveys.services.publishing import wave_publish
from tests.factories import IndustryFactory, UserFactory
from tests.surveys.services.test_aggregation import golden_wave, run
from tests.surveys.views.test_results_pages import QUERY_BUDGET, text, url

pytestmark = pytest.mark.django_db

NO_TO_BOTH = {"all": [{"q": "greeting", "in": ["no"]}, {"q": "would_buy", "in": ["no"]}]}


@pytest.fixture
def published() -> ResultSet:
    wave = golden_wave()
    group = IndustryGroup.objects.create(slug="alle", name="Alle bransjer", name_en="All")
    group.industries.set(Industry.objects.filter(slug__in=["bank", "telefoni"]))
    wave.industry_groups.add(group)
    Indicator.objects.create(
        key="nei-til-begge",
        name="Nei til begge",
        name_en="No to both",
        questionnaire_slug="golden",
        condition=NO_TO_BOTH,
    )
    result_set = run(wave)
    wave_publish(wave=wave, public=True)
    return result_set


def test_the_group_page_shows_pooled_figures_with_their_base(
    client: Any, published: ResultSet
) -> None:
    page = text(client.get(url("results-group", published.wave, group="alle")))
    assert "Alle bransjer" in page
    assert "65,6" in page  # 590 / 9 contacts, both industries pooled
    assert "Grunnlag: alle kontakter (én som aldri ble besvart, teller 0)." in page
    assert "Nei til begge" in page
    assert "14,3" in page  # 1 of 7 who answered both
    assert "av dem som svarte på alle spørsmålene det gjelder" in page
    english = text(client.get(url("results-group", published.wave, "en", group="alle")))
    assert "/en/results/" in url("results-group", published.wave, "en", group="alle")
    assert "No to both" in english
    assert client.get(url("results-group", published.wave, group="finnes-ikke")).status_code == 404


def test_the_overview_lists_groups_and_indicators(client: Any, published: ResultSet) -> None:
    page = text(client.get(url("results-wave", published.wave)))
    assert url("results-group", published.wave, group="alle") in page
    assert "Avledede indikatorer" in page
    bank = text(client.get(url("results-industry", published.wave, industry="bank")))
    assert url("results-group", published.wave, group="alle") in bank  # the group it is in


def test_downloads_name_the_group_and_the_base(client: Any, published: ResultSet) -> None:
    page = url("results-group", published.wave, group="alle")
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(page, {"download": "indicators", "format": "csv"})
                .content.decode("utf-8-sig")
                .replace(";", ",")
            )
        )
    )
    assert [(r["industry_group"], r["measure"]) for r in rows] == [("alle", "ind:nei-til-begge")]
    assert rows[0]["base"] == "dem som svarte på alle spørsmålene det gjelder"


@pytest.mark.parametrize("name", ["results-group", "results-wave"])
def test_group_pages_stay_within_the_query_budget(
    client: Any, published: ResultSet, name: str
) -> None:
    extra = {"group": "alle"} if name == "results-group" else {}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(name, published.wave, **extra))
    assert response.status_code == 200
    assert len(queries) <= QUERY_BUDGET, [q["sql"][:120] for q in queries]


def test_the_results_api_filters_by_group_and_says_each_base(
    client: Any, published: ResultSet
) -> None:
    rows = client.get(
        f"/api/v1/results/{published.pk}/rows/", {"scope": "group", "group": "alle"}
    ).json()["results"]
    measures = {r["measure"]: r for r in rows}
    assert measures["score"]["industry_group"] == "alle"
    assert measures["score"]["n"] == 9
    assert measures["ind:nei-til-begge"]["base"]
    assert (
        client.get(f"/api/v1/results/{published.pk}/rows/", {"group": "finnes-ikke"}).json()[
            "results"
        ]
        == []
    )


def staff(role: Role) -> APIClient:
    api = APIClient()
    api.force_authenticate(UserFactory(roles=[role]))
    return api


def test_staff_define_an_indicator_and_see_every_problem_at_once() -> None:
    golden_wave()
    api = staff(Role.STAFF_ADMIN)
    bad = api.post(
        "/api/v1/indicators/",
        {
            "key": "tull",
            "name": "Tull",
            "questionnaire": "golden",
            "condition": {"all": [{"q": "nope", "in": ["x"]}, {"q": "would_buy", "in": ["kan"]}]},
        },
        format="json",
    )
    assert bad.status_code == 400
    assert len(bad.json()["condition"]) == 2
    assert not Indicator.objects.exists()
    good = api.post(
        "/api/v1/indicators/",
        {"key": "nei", "name": "Nei", "questionnaire": "golden", "condition": NO_TO_BOTH},
        format="json",
    )
    assert good.status_code == 201, good.json()
    assert good.json()["measure"] == "ind:nei"
    assert good.json()["in_words"] == "«Presenterte seg?» er Nei og «Ville du handlet her?» er Nei"
    again = api.post(
        "/api/v1/indicators/",
        {"key": "nei", "name": "Nei", "questionnaire": "golden", "condition": NO_TO_BOTH},
        format="json",
    )
    assert again.status_code == 409
    neither = api.post(
        "/api/v1/indicators/", {"key": "x", "name": "X", "condition": NO_TO_BOTH}, format="json"
    )
    assert neither.status_code == 400


def test_groups_need_two_industries_and_outlive_no_results(published: ResultSet) -> None:
    api = staff(Role.PANEL_MANAGER)
    one = api.post(
        "/api/v1/industry-groups/",
        {"slug": "bare-bank", "name": "Bare bank", "industries": ["bank"]},
        format="json",
    )
    assert one.status_code == 400
    assert "industries" in one.json()
    made = api.post(
        "/api/v1/industry-groups/",
        {"slug": "ny", "name": "Ny", "industries": ["bank", IndustryFactory().slug]},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert api.delete("/api/v1/industry-groups/ny/").status_code == 204
    in_results = api.delete("/api/v1/industry-groups/alle/")
    assert in_results.status_code == 409
    assert IndustryGroup.objects.filter(slug="alle").exists()


def test_a_wave_chooses_its_groups_in_the_api(published: ResultSet) -> None:
    api = staff(Role.PANEL_MANAGER)
    detail = reverse("wave-detail", args=[published.wave_id])
    assert api.get(detail).json()["industry_groups"] == ["alle"]
    cleared = api.patch(detail, {"industry_groups": []}, format="json")
    assert cleared.status_code == 200
    assert not published.wave.industry_groups.exists()
