"""A panel manager logs in with the keyboard and imports companies, bad file first."""

from pathlib import Path
from typing import Any

import pytest

from kundeservice.roles import Role
from surveys.models import Company
from tests.e2e.conftest import assert_accessible, assert_fits_width, wait_for_path
from tests.factories import TEST_PASSWORD, IndustryFactory, UserFactory, valid_org_number

pytestmark = pytest.mark.django_db(transaction=True)


def test_panel_manager_imports_companies(live_server: Any, page: Any, tmp_path: Path) -> None:
    IndustryFactory(slug="bank", name="Bank", name_en="Banking")
    UserFactory(username="pm", roles=[Role.PANEL_MANAGER])
    bad = tmp_path / "firma.csv"
    bad.write_text(f"orgnr;navn;bransje\n{valid_org_number(1)};God Bank;bank\n123;Feil;bank\n")
    good = tmp_path / "firma-rettet.csv"
    good.write_text(
        f"orgnr;navn;bransje;kanaler\n{valid_org_number(1)};God Bank;bank;telefon, chat\n"
    )

    page.goto(live_server.url + "/staff/companies/import/")
    assert "/konto/logg-inn/" in page.url
    assert_accessible(page)
    page.get_by_label("Brukernavn").focus()
    page.keyboard.type("pm")
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    wait_for_path(page, "/staff/companies/import/")
    assert page.get_by_role("heading", level=1).inner_text() == "Importer virksomheter"
    assert_accessible(page)

    page.get_by_label("CSV- eller Excel-fil").set_input_files(str(bad))
    page.get_by_role("button", name="Importer").click()
    alert = page.get_by_role("alert")
    assert "Ingenting ble importert: 1 rad(er) har feil." in alert.inner_text()
    errors = page.get_by_role("table", name="Rader med feil")
    assert "Et organisasjonsnummer har nøyaktig ni sifre." in errors.inner_text()
    assert_fits_width(page)
    assert_accessible(page)
    assert not Company.objects.exists()

    page.get_by_label("CSV- eller Excel-fil").set_input_files(str(good))
    page.get_by_role("button", name="Importer").click()
    wait_for_path(page, "/staff/companies/")
    assert (
        "Importerte 1 virksomheter: 1 nye, 0 oppdatert."
        in page.get_by_role("status").first.inner_text()
    )
    assert page.get_by_role("cell", name="God Bank").is_visible()
    assert_accessible(page)
    assert Company.objects.get().channels == ["phone", "chat"]
