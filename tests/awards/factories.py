"""Factories and fixtures for the award night's tests."""

import datetime
from typing import Any

import factory
from django.utils import timezone

from awards.models import AwardCategory, AwardEvent, CategoryKind, CategoryScope, EventState
from surveys.models import Industry, ResultRow, ResultSet, ResultSetStatus, StudyKind, Wave
from tests.factories import CompanyFactory, IndustryFactory, StudyFactory, WaveFactory


class AwardEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AwardEvent

    slug = factory.Sequence(lambda n: f"prisutdeling-{n}")
    name = factory.Sequence(lambda n: f"Kundeserviceprisen {2026 + n}")
    name_en = factory.Sequence(lambda n: f"Customer Service Award {2026 + n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    venue = "Oslo Konserthus"
    address = "Munkedamsveien 14, 0115 Oslo"
    finalists_public_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    state = EventState.FINALISTS_PUBLIC


def published_league(
    rows: list[dict[str, Any]], *, measure: str = "score", minimum_n: int = 10
) -> tuple[Wave, Industry, dict[str, Any]]:
    """A public observation wave whose current result set holds company rows in one industry:
    each row a dict of name, value, n, ci (low, high) and optionally suppressed and extra
    measures ({measure: value}). Returns the wave, the industry and the companies by name."""
    industry = IndustryFactory(slug="bank", name="Bank", name_en="Banking")
    wave = WaveFactory(
        study=StudyFactory(slug="kundeserviceprisen", kind=StudyKind.OBSERVATION),
        minimum_n=minimum_n,
        is_public=True,
    )
    result_set = ResultSet.objects.create(
        wave=wave,
        cutoff=wave.ends_on,
        is_final=True,
        status=ResultSetStatus.COMPLETE,
        is_current=True,
    )
    companies = {}
    for spec in rows:
        company = CompanyFactory(name=spec["name"], industry=industry)
        companies[spec["name"]] = company
        for name, value in {measure: spec["value"], **spec.get("extra", {})}.items():
            low, high = spec.get("ci", (None, None)) if name == measure else (None, None)
            ResultRow.objects.create(
                result_set=result_set,
                scope="company",
                measure=name,
                metric="mean",
                industry=industry,
                company=company,
                n=spec["n"],
                n_eff=spec["n"],
                value=value,
                ci_low=low,
                ci_high=high,
                suppressed=spec.get("suppressed", False),
            )
    return wave, industry, companies


def rule_category(
    event: AwardEvent, wave: Wave, industry: Industry, **kwargs: Any
) -> AwardCategory:
    defaults: dict[str, Any] = {
        "name": "Beste kundeservice i bank",
        "kind": CategoryKind.RULE,
        "wave": wave,
        "metric": "score",
        "measure": "score",
        "scope": CategoryScope.INDUSTRY,
        "industry": industry,
    }
    return AwardCategory.objects.create(event=event, **{**defaults, **kwargs})
