"""A request that loses the database is answered 503 with Retry-After, in the user's language,
not a server error (PostgreSQL restarting under load)."""

from typing import Any

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from surveys.services import submissions
from tests.factories import WaveFactory, invite

pytestmark = pytest.mark.django_db


def lost(*_args: Any, **_kwargs: Any) -> Any:
    raise OperationalError("terminating connection due to administrator command")


def test_an_api_call_that_loses_the_database_is_told_to_retry(monkeypatch: Any) -> None:
    token = invite(WaveFactory())
    monkeypatch.setattr(submissions, "submission_accept", lost)
    response = APIClient(HTTP_ACCEPT_LANGUAGE="nb").post(
        f"/api/v1/respond/{token}/submit/", {"answers": {}}, format="json"
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "Tjenesten er utilgjengelig et øyeblikk. Prøv igjen om litt."
    }


def test_a_page_that_loses_the_database_says_so_in_both_languages(
    client: Any, monkeypatch: Any
) -> None:
    from kundeservice import views

    monkeypatch.setattr(views.selectors, "industries_with_company_counts", lost)
    response = client.get("/")
    assert response.status_code == 503
    assert "Midlertidig utilgjengelig" in response.content.decode()
    assert "Temporarily unavailable" in response.content.decode()
