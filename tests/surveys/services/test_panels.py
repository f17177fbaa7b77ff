"""Panel import (all or nothing, merged by e-mail) and GDPR erase and export."""

import io

import pytest
from django.utils import translation

from kundeservice.errors import ImportRejected
from surveys.models import Answer, Panelist, Response
from surveys.services.panels import panelist_erase, panelist_export, panelists_import
from tests.factories import CompanyFactory, PanelistFactory, WaveFactory, invite

pytestmark = pytest.mark.django_db
HEADER = "e-post;kjønn;fødselsår;fylke;ekstern_id;språk"


def upload(*lines: str) -> io.BytesIO:
    return io.BytesIO(("\n".join([HEADER, *lines]) + "\n").encode())


def test_imports_with_norwegian_words_and_merges_duplicates() -> None:
    PanelistFactory(email="kari@example.no", birth_year=1970)
    summary = panelists_import(
        file=upload(
            "Kari@Example.no;kvinne;1971;Vestland;p-1;nb",
            "ola@example.no;mann;1990;oslo;p-2;en",
            "ola@example.no;;;;;",  # the same person again, nothing new: merged
        ),
        filename="panel.csv",
    )
    assert (summary.created, summary.updated, summary.merged_rows) == (1, 1, 1)
    kari = Panelist.objects.get(email="kari@example.no")
    assert (kari.gender, kari.birth_year, kari.region, kari.external_id) == (
        "female",
        1971,
        "vestland",
        "p-1",
    )
    assert Panelist.objects.get(email="ola@example.no").language == "en"


# The column as the file's header names it.
BAD_ROWS = {
    "missing e-mail": (";kvinne;1980;oslo;;", "e-post"),
    "not an e-mail": ("kari.example.no;kvinne;1980;oslo;;", "e-post"),
    "two e-mails in one cell": ("a@example.no, b@example.no;kvinne;1980;oslo;;", "e-post"),
    "e-mail too long": ("x" * 250 + "@example.no;kvinne;1980;oslo;;", "e-post"),
    "unknown gender": ("k@example.no;hval;1980;oslo;;", "kjønn"),
    "gender as a number": ("k@example.no;1;1980;oslo;;", "kjønn"),
    "birth year not a number": ("k@example.no;kvinne;nittiåtti;oslo;;", "fødselsår"),
    "birth year with decimals": ("k@example.no;kvinne;1980.5;oslo;;", "fødselsår"),
    "birth year two digits": ("k@example.no;kvinne;80;oslo;;", "fødselsår"),
    "birth year in the future": ("k@example.no;kvinne;2031;oslo;;", "fødselsår"),
    "birth year too young": ("k@example.no;kvinne;2020;oslo;;", "fødselsår"),
    "birth year too old": ("k@example.no;kvinne;1850;oslo;;", "fødselsår"),
    "unknown county": ("k@example.no;kvinne;1980;Sogn og Fjordane fylke;;", "fylke"),
    "unknown language": ("k@example.no;kvinne;1980;oslo;;se", "språk"),
    "external id too long": ("k@example.no;kvinne;1980;oslo;" + "i" * 101 + ";", "ekstern_id"),
    "control character": ("k@example.no;kvinne;1980;oslo;a\x07b;", "ekstern_id"),
    "external id of another e-mail": ("other@example.no;kvinne;1980;oslo;p-9;", "ekstern_id"),
    "same e-mail, other birth year": ("good@example.no;kvinne;1981;oslo;;", "fødselsår"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_each_kind_of_bad_row_is_named_and_nothing_changes(case: str) -> None:
    line, column = BAD_ROWS[case]
    with translation.override("nb"), pytest.raises(ImportRejected) as caught:
        panelists_import(
            file=upload("good@example.no;kvinne;1980;oslo;p-9;nb", line), filename="p.csv"
        )
    assert [(e.row, e.column) for e in caught.value.row_errors] == [(3, column)]
    assert caught.value.row_errors[0].message
    assert "Ingenting ble importert" in caught.value.messages[0]
    assert not Panelist.objects.exists()


def test_erase_removes_personal_data_but_keeps_answers(client) -> None:
    CompanyFactory(slug="fjordbanken")
    wave = WaveFactory()
    panelist = PanelistFactory(email="kari@example.no", external_id="p-1")
    url = f"/s/{invite(wave, panelist)}/"
    for page in (
        {"contacted_cs": "yes"},
        {"company": "fjordbanken", "channel": "phone", "contacted_before": "no"},
        {"satisfaction": "4", "resolved": "yes", "nps": "7"},
        {"preferred_channel": "chat"},
    ):
        client.post(url, {**page, "action": "next"})
    client.post(url, {"action": "submit"})
    exported = panelist_export(panelist=panelist)
    assert exported["panelist"]["email"] == "kari@example.no"
    assert exported["invitations"][0]["answers"]["satisfaction"] == 4.0

    panelist_erase(panelist=panelist)
    panelist.refresh_from_db()
    assert (panelist.email, panelist.external_id, panelist.birth_year, panelist.gender) == (
        None,
        "",
        None,
        "",
    )
    assert panelist.erased_at is not None
    response = Response.objects.get()
    assert (response.gender, response.age_group, response.region) == ("female", "45-59", "oslo")
    assert Answer.objects.filter(response=response).count() == 8
