"""The site shell: pages in both languages, query budgets, offline API docs, password reset."""

import re
from typing import Any

import pytest
from django.core import mail

from tests.factories import CompanyFactory, IndustryFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_home_page_in_norwegian_and_english_within_budget(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(6):
        CompanyFactory.create_batch(3, industry=IndustryFactory(slug=f"b{n}", name=f"Bransje {n}"))
    with django_assert_max_num_queries(2):
        nb = client.get("/")
    assert nb.status_code == 200
    assert '<html lang="nb">' in nb.content.decode()
    assert "Kundeservice i Norge, målt" in nb.content.decode()
    assert "3 virksomheter" in nb.content.decode()
    en = client.get("/en/")
    assert '<html lang="en">' in en.content.decode()
    assert "3 companies" in en.content.decode()


def test_language_links_point_to_the_same_page_in_the_other_language(client: Any) -> None:
    html = client.get("/konto/logg-inn/").content.decode()
    assert 'href="/en/account/login/"' in html
    html = client.get("/en/account/login/").content.decode()
    assert 'href="/konto/logg-inn/"' in html


def test_api_docs_are_served_without_a_cdn(client: Any) -> None:
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    external = [u for u in re.findall(r'(?:src|href)="([^"]+)"', html) if u.startswith("http")]
    assert external == []


def test_unknown_page_gets_the_sites_404(client: Any) -> None:
    response = client.get("/finnes-ikke/")
    assert response.status_code == 404
    assert "Fant ikke siden" in response.content.decode()


def test_password_reset_sends_a_working_link(client: Any) -> None:
    user = UserFactory(email="kari@example.no")
    response = client.post("/konto/nytt-passord/", {"email": "kari@example.no"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/\S+)", mail.outbox[0].body)
    assert link
    form = client.get(link.group(1), follow=True)
    assert "Velg et nytt passord" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "et-nytt-langt-passord-42", "new_password2": "et-nytt-langt-passord-42"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("et-nytt-langt-passord-42")


def test_login_failure_is_explained_in_norwegian(client: Any) -> None:
    UserFactory(username="kari")
    response = client.post("/konto/logg-inn/", {"username": "kari", "password": "feil"})
    assert response.status_code == 200
    assert "Rett opp følgende" in response.content.decode()


def test_admin_company_list_loads_for_a_superuser(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    CompanyFactory.create_batch(10)
    with django_assert_max_num_queries(12):
        assert client.get("/admin/surveys/company/").status_code == 200
    assert client.get(f"/admin/surveys/company/{CompanyFactory().pk}/change/").status_code == 200
