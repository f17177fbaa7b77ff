"""Staff console: import a panel, invite a stratified sample, send with progress, watch rates."""

import io
from typing import Any

import pytest
from django.core import mail

from kundeservice.roles import Role
from surveys.models import Invitation, InvitationStatus, Panelist
from tests.factories import PanelistFactory, UserFactory, WaveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client: Any) -> Any:
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    return client


def test_panel_import_page_reports_rows_and_imports_nothing(manager: Any) -> None:
    upload = io.BytesIO("e-post;fødselsår\nkari@example.no;1970\nola@example;1980\n".encode())
    upload.name = "panel.csv"
    response = manager.post("/staff/panel/import/", {"file": upload})
    assert response.status_code == 400
    assert "«ola@example» er ikke en e-postadresse." in response.content.decode()
    assert not Panelist.objects.exists()


def test_invite_a_stratified_sample_send_and_see_the_funnel(
    manager: Any, django_capture_on_commit_callbacks: Any, django_assert_max_num_queries: Any
) -> None:
    wave = WaveFactory()
    PanelistFactory.create_batch(30, region="oslo")
    PanelistFactory.create_batch(10, region="vestland")
    response = manager.post(
        f"/staff/waves/{wave.pk}/invite/", {"sample_size": 20, "stratify_by": ["region"], "seed": 7}
    )
    assert response.status_code == 302
    strata = sorted(Invitation.objects.values_list("stratum", flat=True))
    assert strata.count("region=oslo") == 15
    assert strata.count("region=vestland") == 5

    with django_capture_on_commit_callbacks(execute=True):
        manager.post(f"/staff/waves/{wave.pk}/send/")
    assert len(mail.outbox) == 20
    assert Invitation.objects.filter(status=InvitationStatus.SENT).count() == 20

    with django_assert_max_num_queries(12):
        page = manager.get(f"/staff/waves/{wave.pk}/")
    html = page.content.decode()
    assert "Ferdig: 20 av 20" in html
    assert "<td>Vestland</td>" in html


def test_sending_with_nothing_to_send_says_so(manager: Any) -> None:
    wave = WaveFactory()
    response = manager.post(f"/staff/waves/{wave.pk}/send/", follow=True)
    assert "Det er ingen usendte invitasjoner i denne bølgen." in response.content.decode()


def test_bad_invite_form_is_explained(manager: Any) -> None:
    wave = WaveFactory()
    response = manager.post(f"/staff/waves/{wave.pk}/invite/", {"sample_size": 0, "seed": 1})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("action", ["invite", "send"])
def test_opening_an_invite_or_send_address_leads_to_the_wave_page(
    manager: Any, action: str
) -> None:
    """A bookmarked or reloaded /invite/ or /send/ used to answer a blank 405."""
    wave = WaveFactory()
    response = manager.get(f"/staff/waves/{wave.pk}/{action}/")
    assert response.status_code == 302
    assert response["Location"] == f"/staff/waves/{wave.pk}/"
    assert not Invitation.objects.exists()


def test_the_panel_count_is_of_those_not_yet_invited(manager: Any) -> None:
    wave = WaveFactory()
    PanelistFactory.create_batch(5)
    manager.post(f"/staff/waves/{wave.pk}/invite/", {"sample_size": 3, "seed": 1})
    html = manager.get(f"/staff/waves/{wave.pk}/").content.decode()
    assert "Panelet har 2 personer som ennå ikke er invitert til denne bølgen." in html
    manager.post(f"/staff/waves/{wave.pk}/invite/", {"seed": 1})
    html = manager.get(f"/staff/waves/{wave.pk}/").content.decode()
    assert "Alle i panelet som kan inviteres, er invitert til denne bølgen." in html


def test_the_stratum_table_names_counties_age_groups_and_genders(manager: Any) -> None:
    wave = WaveFactory()
    PanelistFactory(region="more_og_romsdal", gender="male", birth_year=1990)
    PanelistFactory(region="oslo", gender="female", birth_year=1950)
    manager.post(f"/staff/waves/{wave.pk}/invite/", {"seed": 1})
    html = manager.get(f"/staff/waves/{wave.pk}/").content.decode()
    assert "<td>Møre og Romsdal</td>" in html
    assert "more_og_romsdal" not in html

    other = WaveFactory()
    manager.post(
        f"/staff/waves/{other.pk}/invite/", {"seed": 1, "stratify_by": ["region", "age_group"]}
    )
    html = manager.get(f"/staff/waves/{other.pk}/").content.decode()
    assert "<td>Møre og Romsdal · 30–44 år</td>" in html
    assert "<td>Oslo · 60+ år</td>" in html
    assert "region=" not in html


def test_panel_import_errors_name_the_columns_as_the_file_does(manager: Any) -> None:
    upload = io.BytesIO("E-post;Kjønn;Fødselsår;Fylke\nkari@example.no;hval;80;Sogn\n".encode())
    upload.name = "panel.csv"
    html = manager.post("/staff/panel/import/", {"file": upload}).content.decode()
    table = html[html.index('<table class="errors">') : html.index("</table>")]
    for header in ("<td>Kjønn</td>", "<td>Fødselsår</td>", "<td>Fylke</td>"):
        assert header in table
    for name in ("gender", "birth_year", "region"):
        assert name not in table

    missing = io.BytesIO(b"navn;fylke\nKari;oslo\n")
    missing.name = "panel.csv"
    html = manager.post("/staff/panel/import/", {"file": missing}).content.decode()
    assert "Overskriftsraden mangler kolonnen(e): e-post." in html
