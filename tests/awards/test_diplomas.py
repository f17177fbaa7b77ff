"""A revealed winner's diploma: a PDF whose text reads right in Norwegian."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from awards.models import EventState
from awards.services.categories import category_reveal
from awards.services.events import event_state_set
from kundeservice.roles import Role
from tests.awards.test_embargo import confirmed_night
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_diploma_names_the_winner_with_norwegian_letters(client) -> None:
    category = confirmed_night(
        name="Kundeserviceprisen for Ærlig Øl og Å", venue="Bølgen Kulturhus"
    )
    winner = category.placements.get(is_winner=True).company
    winner.name = "Ærlige Øl på Åsgårdstrand AS"
    winner.save()
    manager = UserFactory(roles=[Role.AWARD_MANAGER])
    event_state_set(event=category.event, state=EventState.LIVE, by=manager)
    url = reverse("award-diploma", args=[category.event.slug, category.pk])
    assert client.get(url).status_code == 404  # not revealed yet
    category_reveal(category=category, by=manager)
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Ærlige Øl på Åsgårdstrand AS" in text
    assert "Bølgen Kulturhus" in text
    assert category.display_name in text
    assert "Diplom" in text
