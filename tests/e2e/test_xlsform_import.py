"""A panel manager imports a questionnaire from XLSForm with the keyboard, bad workbook first."""

import re
from pathlib import Path
from typing import Any

import pytest

from kundeservice.roles import Role
from surveys.models import Questionnaire
from tests.e2e.conftest import assert_accessible, assert_fits_width, wait_for_path
from tests.factories import TEST_PASSWORD, UserFactory
from tests.surveys.xlsforms import build, change_row

pytestmark = pytest.mark.django_db(transaction=True)


def test_panel_manager_imports_an_xlsform(live_server: Any, page: Any, tmp_path: Path) -> None:
    UserFactory(username="pm", roles=[Role.PANEL_MANAGER])
    bad = tmp_path / "skjema.xlsx"
    bad.write_bytes(build(change_row("survey", 3, relevant="${kanal} = 'chat'")).getvalue())
    good = tmp_path / "skjema-rettet.xlsx"
    good.write_bytes(build().getvalue())

    page.goto(live_server.url + "/en/staff/questionnaires/import/")
    page.get_by_label("Username").focus()
    page.keyboard.type("pm")
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    wait_for_path(page, "/en/staff/questionnaires/import/")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Import a questionnaire from XLSForm"
    assert_fits_width(page)
    assert_accessible(page)

    page.get_by_label("XLSForm workbook (.xlsx)").set_input_files(str(bad))
    page.get_by_label("XLSForm workbook (.xlsx)").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert "Nothing was imported" in page.get_by_role("alert").inner_text()
    errors = page.get_by_role("table", name="Rows with errors").inner_text()
    assert "survey › relevant" in errors
    assert "There is no question named kanal." in errors
    assert_fits_width(page)
    assert_accessible(page)
    assert not Questionnaire.objects.exists()

    page.get_by_label("XLSForm workbook (.xlsx)").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state("networkidle")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Check the questionnaire before importing"
    assert_fits_width(page)
    assert_accessible(page)
    assert not Questionnaire.objects.exists()
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/en/staff/questionnaires/\d+/$"))
    questionnaire = Questionnaire.objects.get(slug="skjema")
    assert page.url.endswith(f"/en/staff/questionnaires/{questionnaire.pk}/")
    assert "Imported “Skjema” as version 1." in page.get_by_role("status").first.inner_text()
