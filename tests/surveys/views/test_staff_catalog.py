"""Staff console catalog pages: filters, the import form, query budgets."""

import io
from typing import Any

import pytest

from kundeservice.roles import Role
from surveys.models import Company
from tests.factories import CompanyFactory, IndustryFactory, UserFactory, valid_org_number


@pytest.fixture
def manager_client(client: Any, db: None) -> Any:
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    return client


def test_company_list_filters_and_stays_in_budget(
    manager_client: Any, django_assert_max_num_queries: Any
) -> None:
    bank = IndustryFactory(slug="bank")
    CompanyFactory(name="Chatbanken", industry=bank, channels=["chat"])
    CompanyFactory.create_batch(20)
    with django_assert_max_num_queries(8):
        response = manager_client.get("/staff/companies/?industry=bank&channel=chat&q=chat")
    assert response.status_code == 200
    assert [c.name for c in response.context["page"]] == ["Chatbanken"]


def test_company_list_survives_nul_bytes(manager_client: Any) -> None:
    assert manager_client.get("/staff/companies/?q=a%00b&industry=%00").status_code == 200


def test_import_form_lists_row_errors_and_imports_nothing(manager_client: Any) -> None:
    IndustryFactory(slug="bank")
    content = f"orgnr;navn;bransje\n{valid_org_number(1)};God;bank\n123;Dårlig;bank\n".encode()
    upload = io.BytesIO(content)
    upload.name = "firma.csv"
    response = manager_client.post("/staff/companies/import/", {"file": upload})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ingenting ble importert" in html
    assert "Et organisasjonsnummer har nøyaktig ni sifre." in html
    assert not Company.objects.exists()


def test_import_form_success_redirects_with_a_summary(manager_client: Any) -> None:
    IndustryFactory(slug="bank")
    upload = io.BytesIO(f"orgnr;navn;bransje\n{valid_org_number(1)};God;bank\n".encode())
    upload.name = "firma.csv"
    response = manager_client.post("/staff/companies/import/", {"file": upload}, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/companies/"
    assert "Importerte 1 virksomheter: 1 nye, 0 oppdatert." in response.content.decode()
    assert Company.objects.count() == 1


def test_import_form_in_english(client: Any, db: None) -> None:
    client.force_login(UserFactory(roles=[Role.STAFF_ADMIN]))
    upload = io.BytesIO(b"%PDF")
    upload.name = "rapport.pdf"
    response = client.post("/en/staff/companies/import/", {"file": upload})
    assert response.status_code == 400
    assert "upload a .csv or .xlsx file" in response.content.decode()
