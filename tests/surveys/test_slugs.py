"""Slugs spell æ, ø and å out (not drop them), and old links keep working."""

import importlib
from typing import Any

import pytest
from django.apps import apps

from surveys.models import Company, FormerCompanySlug
from surveys.services.catalog import company_create
from surveys.services.publishing import wave_publish
from surveys.slugs import slug_for
from tests.factories import CompanyFactory, IndustryFactory, valid_org_number
from tests.surveys.services.test_aggregation import golden_wave, run

migration = importlib.import_module("surveys.migrations.0007_former_company_slugs_transliterated")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Bølge Mobil", "bolge-mobil"),
        ("Sjøsignal AS", "sjosignal-as"),
        ("Ærlig Kraft & Lys", "aerlig-kraft-lys"),
        ("Gjensidige Forsikring ASA", "gjensidige-forsikring-asa"),
        ("Å Energi", "a-energi"),
    ],
)
def test_norwegian_letters_are_transliterated(name: str, slug: str) -> None:
    assert slug_for(name) == slug


@pytest.mark.django_db
def test_a_new_company_gets_a_spelled_out_slug_never_a_former_one() -> None:
    industry = IndustryFactory()
    assert company_create(
        name="Bølge Mobil", org_number=valid_org_number(1), industry=industry
    ).slug == ("bolge-mobil")
    other = CompanyFactory(slug="sjosignal-as")
    FormerCompanySlug.objects.create(slug="sjosignal-as-2", company=other)
    again = company_create(name="Sjøsignal AS", org_number=valid_org_number(2), industry=industry)
    assert again.slug == "sjosignal-as-3"


@pytest.mark.django_db
def test_the_migration_rewrites_dropped_letters_and_keeps_the_old_slugs() -> None:
    bolge = CompanyFactory(name="Bølge Mobil", slug="blge-mobil")
    second = CompanyFactory(name="Sjøsignal AS", slug="sjsignal-as-2")
    chosen = CompanyFactory(name="Ørsta Bank", slug="orsta-sparebank")  # chosen by hand
    plain = CompanyFactory(name="Alfa AS", slug="alfa-as")
    migration.transliterate_company_slugs(apps, None)
    assert [Company.objects.get(pk=c.pk).slug for c in (bolge, second, chosen, plain)] == [
        "bolge-mobil",
        "sjosignal-as-2",
        "orsta-sparebank",
        "alfa-as",
    ]
    assert dict(FormerCompanySlug.objects.values_list("slug", "company_id")) == {
        "blge-mobil": bolge.pk,
        "sjsignal-as-2": second.pk,
    }
    migration.transliterate_company_slugs(apps, None)  # twice: nothing more
    assert FormerCompanySlug.objects.count() == 2


@pytest.mark.django_db
def test_an_old_company_link_redirects_to_the_current_slug(client: Any) -> None:
    wave = golden_wave()
    run(wave)
    wave_publish(wave=wave, public=True)
    alfa = Company.objects.get(slug="alfa")
    FormerCompanySlug.objects.create(slug="alf", company=alfa)
    base = f"/resultater/{wave.study.slug}/{wave.slug}/virksomhet/"
    response = client.get(base + "alf/", {"download": "channels", "format": "json"})
    assert response.status_code == 301
    assert response["Location"] == base + "alfa/?download=channels&format=json"
    english = client.get(f"/en/results/{wave.study.slug}/{wave.slug}/company/alf/")
    assert english["Location"] == f"/en/results/{wave.study.slug}/{wave.slug}/company/alfa/"
    assert client.get(base + "finnes-ikke/").status_code == 404
