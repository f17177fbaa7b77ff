"""The catalog API: public reads with filters, staff writes through the services."""

import io
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kundeservice.roles import Role
from surveys.models import Company
from tests.factories import CompanyFactory, IndustryFactory, UserFactory, valid_org_number


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def manager_api(db: None) -> APIClient:
    client = APIClient()
    user = UserFactory(roles=[Role.PANEL_MANAGER])
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.django_db
def test_public_list_filters_by_industry_channel_and_search(
    api: APIClient, django_assert_max_num_queries: Any
) -> None:
    bank = IndustryFactory(slug="bank")
    CompanyFactory(name="Chatbanken", industry=bank, channels=["chat"])
    CompanyFactory(name="Telefonbanken", industry=bank, channels=["phone"])
    CompanyFactory(name="Strømselskapet", channels=["chat"])
    CompanyFactory(name="Nedlagt", industry=bank, channels=["chat"], is_active=False)

    with django_assert_max_num_queries(4):
        names = [
            c["name"]
            for c in api.get("/api/v1/companies/?industry=bank&channel=chat").json()["results"]
        ]
    assert names == ["Chatbanken"]
    assert api.get("/api/v1/companies/?search=telefon").json()["count"] == 1


@pytest.mark.django_db
def test_list_stays_within_its_query_budget_as_companies_grow(
    api: APIClient, django_assert_max_num_queries: Any
) -> None:
    CompanyFactory.create_batch(30)
    with django_assert_max_num_queries(3):
        assert api.get("/api/v1/companies/").status_code == 200


@pytest.mark.django_db
def test_staff_creates_a_company_with_token_auth(manager_api: APIClient) -> None:
    IndustryFactory(slug="bank")
    org = valid_org_number(5)
    response = manager_api.post(
        "/api/v1/companies/",
        {"name": "Ny Bank", "org_number": org, "industry": "bank", "channels": ["phone", "chat"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["slug"] == "ny-bank"
    assert Company.objects.get(org_number=org).channels == ["phone", "chat"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"org_number": "912345670"}, "org_number"),
        ({"org_number": "12"}, "org_number"),
        ({"channels": ["telepati"]}, "channels"),
        ({"channels": ["chat", "chat"]}, "channels"),
        ({"industry": "finnes-ikke"}, "industry"),
    ],
)
def test_bad_company_is_refused_with_a_message(
    manager_api: APIClient, payload: dict[str, Any], field: str
) -> None:
    IndustryFactory(slug="bank")
    body = {"name": "X", "org_number": valid_org_number(6), "industry": "bank", **payload}
    response = manager_api.post("/api/v1/companies/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Company.objects.exists()


@pytest.mark.django_db
def test_duplicate_org_number_is_a_clear_400(manager_api: APIClient) -> None:
    existing = CompanyFactory()
    response = manager_api.post(
        "/api/v1/companies/",
        {"name": "Kopi", "org_number": existing.org_number, "industry": existing.industry.slug},
        format="json",
    )
    assert response.status_code == 400
    # Norwegian unless the client asks for English.
    assert response.json()["org_number"] == [
        "Det finnes allerede en virksomhet med dette organisasjonsnummeret."
    ]
    response = manager_api.post(
        "/api/v1/companies/",
        {"name": "Kopi", "org_number": existing.org_number, "industry": existing.industry.slug},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.json()["org_number"] == [
        "A company with this organisation number already exists."
    ]
    assert Company.objects.count() == 1


@pytest.mark.django_db
def test_import_endpoint_reports_rows_and_imports_nothing(manager_api: APIClient) -> None:
    IndustryFactory(slug="bank")
    good = valid_org_number(7)
    content = f"org_number,name,industry\n{good},God,bank\n123,Dårlig,bank\n".encode()
    upload = io.BytesIO(content)
    upload.name = "firma.csv"
    response = manager_api.post("/api/v1/companies/import/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 3, "column": "org_number", "message": response.json()["errors"][0]["message"]}
    ]
    assert not Company.objects.exists()

    upload = io.BytesIO(content.replace(b"123,D\xc3\xa5rlig,bank\n", b""))
    upload.name = "firma.csv"
    response = manager_api.post("/api/v1/companies/import/", {"file": upload}, format="multipart")
    assert response.status_code == 201
    assert response.json() == {"created": 1, "updated": 0}


# Found by the schema fuzzer; each failed before its fix.
@pytest.mark.django_db
def test_nul_byte_in_industry_reference_is_a_400_not_a_server_error(manager_api: APIClient) -> None:
    response = manager_api.post(
        "/api/v1/companies/",
        {"name": "X", "org_number": valid_org_number(8), "industry": "ba\x00nk"},
        format="json",
    )
    assert response.status_code == 400
    assert "industry" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["channel=AAA", "page=", "page=0", "page=abc", "search=" + "9" * 101]
)
def test_bad_list_parameters_are_refused(api: APIClient, query: str) -> None:
    response = api.get(f"/api/v1/companies/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_empty_filters_mean_no_filter(api: APIClient) -> None:
    CompanyFactory()
    assert api.get("/api/v1/companies/?channel=&industry=&search=").json()["count"] == 1


@pytest.mark.django_db
def test_api_404_is_json_even_for_a_malformed_slug(api: APIClient) -> None:
    response = api.get("/api/v1/companies/.%07%26/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
