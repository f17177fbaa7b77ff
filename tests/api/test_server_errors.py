"""Requests that used to end in a server error (found by schemathesis): each is now a 4xx with a
message, and changes nothing."""

from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kundeservice.parsers import MAX_JSON_DEPTH
from kundeservice.roles import Role
from surveys.models import Company, Industry, Study, SubmissionInbox, Wave
from surveys.services.submissions import submissions_expand
from tests.factories import (
    CompanyFactory,
    IndustryFactory,
    UserFactory,
    WaveFactory,
    invite,
    valid_org_number,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_api() -> APIClient:
    client = APIClient()
    user = UserFactory(roles=[Role.STAFF_ADMIN])
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_company_created_inactive_is_stored_inactive(staff_api: APIClient) -> None:
    IndustryFactory(slug="bank")
    org = valid_org_number(11)
    response = staff_api.post(
        "/api/v1/companies/",
        {"name": "Sovende Bank", "org_number": org, "industry": "bank", "is_active": False},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["is_active"] is False
    assert Company.objects.get(org_number=org).is_active is False


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, "0", None, [True]])
def test_is_active_must_be_a_json_boolean(staff_api: APIClient, value: Any) -> None:
    company = CompanyFactory(is_active=True)
    body = {
        "name": company.name,
        "org_number": company.org_number,
        "industry": company.industry.slug,
        "is_active": value,
    }
    response = staff_api.put(f"/api/v1/companies/{company.slug}/", body, format="json")
    assert response.status_code == 400
    assert "is_active" in response.json()
    company.refresh_from_db()
    assert company.is_active is True


def test_deleting_an_industry_with_companies_is_a_409_that_says_why(
    staff_api: APIClient,
) -> None:
    company = CompanyFactory()
    response = staff_api.delete(f"/api/v1/industries/{company.industry.slug}/")
    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert "virksomheter" in response.json()["detail"]
    english = staff_api.delete(
        f"/api/v1/industries/{company.industry.slug}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "companies" in english.json()["detail"]
    assert Industry.objects.filter(pk=company.industry.pk).exists()


def test_deleting_a_study_with_waves_or_a_wave_with_responses_is_a_409(
    staff_api: APIClient,
) -> None:
    CompanyFactory(slug="fjordbanken")
    wave = WaveFactory()
    token = invite(wave)
    answers = {
        "contacted_cs": "yes",
        "company": "fjordbanken",
        "channel": "phone",
        "contacted_before": "no",
        "satisfaction": 5,
        "resolved": "partly",
        "must_contact_again": "no",
        "wait_minutes": 4,
        "nps": 8,
        "preferred_channel": "chat",
        "comment": "",
    }
    assert (
        APIClient()
        .post(f"/api/v1/respond/{token}/submit/", {"answers": answers}, format="json")
        .status_code
        == 202
    )
    submissions_expand()

    study = staff_api.delete(f"/api/v1/studies/{wave.study.pk}/")
    assert (study.status_code, study.json()["code"]) == (409, "protected")
    refused = staff_api.delete(f"/api/v1/waves/{wave.pk}/")
    assert (refused.status_code, refused.json()["code"]) == (409, "protected")
    assert Study.objects.filter(pk=wave.study.pk).exists()
    assert Wave.objects.filter(pk=wave.pk).exists()


def test_deeply_nested_json_on_the_public_submit_is_a_400() -> None:
    token = invite(WaveFactory())
    url = f"/api/v1/respond/{token}/submit/"
    for depth in (MAX_JSON_DEPTH + 1, 100_000):
        body = '{"answers": {"comment": ' + nested(depth) + "}}"
        response = Client().post(url, body, content_type="application/json")
        assert response.status_code == 400, depth
        assert "nestet mer enn 32 nivåer" in response.json()["detail"]
    assert not SubmissionInbox.objects.exists()


def test_deeply_nested_json_on_a_drf_endpoint_is_a_400(staff_api: APIClient) -> None:
    IndustryFactory(slug="bank")
    for depth in (MAX_JSON_DEPTH + 1, 100_000):
        body = '{"name": "X", "industry": "bank", "org_number": ' + nested(depth) + "}"
        response = staff_api.post(
            "/api/v1/companies/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 400, depth
        assert "nested more than" in response.json()["detail"]
    assert not Company.objects.exists()


def test_json_of_an_ordinary_depth_still_parses(staff_api: APIClient) -> None:
    response = staff_api.post(
        "/api/v1/companies/",
        '{"name": "X", "industry": "bank", "channels": ' + nested(3) + "}",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "channels" in response.json() or "industry" in response.json()


def test_export_download_is_documented_with_the_media_types_it_serves() -> None:
    schema = APIClient().get("/api/schema/?format=json").json()
    content = schema["paths"]["/api/v1/exports/{id}/download/"]["get"]["responses"]["200"][
        "content"
    ]
    assert set(content) == {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/x-spss-sav",
    }
