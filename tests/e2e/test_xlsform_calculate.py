"""A respondent answers an imported XLSForm with a choice_filter and calculations: the companies
offered follow the industry chosen on the same page, and a calculated value is piped into a later
label and decides whether a question is asked."""

from typing import Any

import pytest
from playwright.sync_api import expect

from surveys.models import Response
from surveys.services.xlsform import questionnaire_import_xlsform
from tests.e2e.conftest import assert_accessible
from tests.factories import WaveFactory, invite
from tests.surveys.services.test_xlsform_calculate import form

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def link(live_server: Any) -> str:
    questionnaire = questionnaire_import_xlsform(file=form(), filename="ko.xlsx")
    return f"{live_server.url}/s/{invite(WaveFactory(questionnaire=questionnaire))}/"


def test_choice_filter_and_calculations_in_the_browser(page: Any, link: str) -> None:
    page.goto(link)
    industry = page.get_by_role("group", name="Hvilken bransje?")
    company = page.get_by_role("group", name="Hvilket selskap?")
    expect(company.get_by_role("radio")).to_have_count(0)

    # The industry narrows the companies on the same page as soon as it is chosen.
    industry.get_by_label("Bank").check()
    expect(company.get_by_label("Fjordbanken")).to_be_visible()
    expect(company.get_by_label("Nordbank")).to_be_visible()
    expect(company.get_by_label("Telefjord")).to_have_count(0)
    industry.get_by_label("Telekom").check()
    expect(company.get_by_label("Telefjord")).to_be_visible()
    expect(company.get_by_label("Fjordbanken")).to_have_count(0)
    assert_accessible(page)

    company.get_by_label("Telefjord").check()
    page.get_by_label("Minutter i kø?").fill("90")
    page.get_by_role("button", name="Neste").click()

    # 90 minutes is 1.5 hours: the calculation is shown in the label and opens the question.
    expect(page.get_by_label("Du ventet 1.5 timer hos Telefjord. Hva skjedde?")).to_be_visible()
    expect(page.get_by_label("Hva var bra med Telefjord?")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Tilbake").click()
    page.get_by_label("Minutter i kø?").fill("20")
    page.get_by_role("button", name="Neste").click()
    expect(page.get_by_label("Hva var bra med Telefjord?")).to_be_visible()
    expect(page.get_by_text("Hva skjedde?")).to_have_count(0)
    page.get_by_label("Hva var bra med Telefjord?").fill("Rask hjelp")
    page.get_by_role("button", name="Neste").click()
    page.get_by_role("button", name="Send inn svarene").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("button", name="Send inn svarene")).to_have_count(0)
    assert Response.objects.get().draft == {
        "bransje": "tele",
        "selskap": "telefjord",
        "ventetid": 20,
        "ros": "Rask hjelp",
    }
