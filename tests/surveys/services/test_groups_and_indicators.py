"""Industry groups and derived indicators in the aggregation, checked against hand counts and
statsmodels' Wilson interval.

On the golden dataset (``test_aggregation``: Alfa and Beta in bank, Gamma in telecom, minimum
n 3) the hand counts are:

- the group "bank + telecom" pools every contact: 9 contacts, scores 590 / 9 = 65.5556 (the
  overall figure); "would buy" yes: Alfa 2, Beta 1, Gamma 2 of 7 answered (N/A and the contact
  never answered drop out) = 5/7;
- "no to both": greeting no (score < 60) and would buy no — only Beta's 55 by phone. Of the 7
  contacts that answered both (base "answered") that is 1/7; of all 9 counted, 1/9; within
  Beta, 1 of 3.
"""

import datetime
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from surveys import stats
from surveys.models import (
    Indicator,
    IndicatorBase,
    Industry,
    IndustryGroup,
    Question,
    ResultSet,
    Scope,
    StudyKind,
    Wave,
)
from surveys.services.questionnaires import questionnaire_create
from tests.factories import CompanyFactory, IndustryFactory, StudyFactory, WaveFactory
from tests.surveys.services.test_aggregation import (
    GOLDEN_SPEC,
    NA,
    add_contacts,
    golden_wave,
    panel_answer,
    row,
    run,
)

pytestmark = pytest.mark.django_db

NO_TO_BOTH = {"all": [{"q": "greeting", "in": ["no"]}, {"q": "would_buy", "in": ["no"]}]}


def group(slug: str, *industries: Any, waves: tuple[Wave, ...] = ()) -> IndustryGroup:
    found = IndustryGroup.objects.create(slug=slug, name=slug.title(), name_en=slug.title())
    found.industries.set(industries)
    for wave in waves:
        wave.industry_groups.add(found)
    return found


def wilson(successes: float, n_eff: float) -> tuple[Any, Any]:
    low, high = proportion_confint(successes, n_eff, method="wilson")
    return pytest.approx(100 * low), pytest.approx(100 * high)


def test_a_group_pools_its_industries_scores_and_shares() -> None:
    wave = golden_wave()
    both = group("alle", *Industry.objects.filter(slug__in=["bank", "telefoni"]), waves=(wave,))
    result_set = run(wave)
    score = row(result_set, scope=Scope.GROUP, industry_group=both, measure="score")
    overall = row(result_set, scope=Scope.OVERALL, measure="score")
    assert (score.n, score.value) == (9, pytest.approx(590 / 9))
    assert (score.ci_low, score.ci_high) == (
        pytest.approx(overall.ci_low),
        pytest.approx(overall.ci_high),
    )
    buys = row(result_set, scope=Scope.GROUP, industry_group=both, measure="q:would_buy=yes")
    assert (buys.n, buys.value) == (7, pytest.approx(100 * 5 / 7))
    assert (buys.ci_low, buys.ci_high) == wilson(5, 7)
    phone = row(
        result_set,
        scope=Scope.GROUP_CHANNEL,
        industry_group=both,
        channel="phone",
        measure="score",
    )
    assert (phone.n, phone.value) == (7, pytest.approx((80 + 60 + 0 + 50 + 55 + 90 + 95) / 7))
    assert phone.rank is None  # groups are not ranked


def test_a_group_the_wave_does_not_use_gets_no_rows() -> None:
    wave = golden_wave()
    group("alle", *Industry.objects.all())
    assert not run(wave).rows.filter(industry_group__isnull=False).exists()


def test_a_weighted_group_share_of_the_channel_chosen_is_pooled_and_uses_n_eff() -> None:
    """ "70.3 % of customers in telecom, broadband and cable TV chose the phone": the group's
    share pools its three industries' answers, weighted by raking, Wilson on n_eff."""
    from tests.factories import ksindeks_questionnaire

    wave = WaveFactory(
        questionnaire=ksindeks_questionnaire(),
        minimum_n=1,
        weight_margins={"gender": {"female": 50, "male": 50}},
    )
    channel = Question.objects.get(questionnaire=wave.questionnaire, role="channel")
    telefoni, bredband, kabel, bank = (
        IndustryFactory(slug=s) for s in ("telefoni", "bredband", "kabel-tv", "bank")
    )
    tele = group("tele", telefoni, bredband, kabel, waves=(wave,))
    # (industry, gender, channel): four women and two men in tele, and a bank customer outside.
    answers = [
        (telefoni, "female", "phone"),
        (telefoni, "male", "chat"),
        (bredband, "female", "phone"),
        (bredband, "female", "email"),
        (kabel, "male", "phone"),
        (kabel, "female", "phone"),
        (bank, "male", "phone"),
    ]
    for industry, gender, picked in answers:
        company = CompanyFactory(industry=industry)
        panel_answer(channel, company, picked, gender, value_text=picked)
    result_set = run(wave)
    # Raking 4 women and 3 men (in all) to 50/50, mean 1: a woman 7/8, a man 7/6.
    weight = {"female": 7 / 8, "male": 7 / 6}
    in_tele = [(g, c) for i, g, c in answers if i != bank]
    sw = sum(weight[g] for g, _c in in_tele)
    sw2 = sum(weight[g] ** 2 for g, _c in in_tele)
    phone = sum(weight[g] for g, c in in_tele if c == "phone") / sw
    n_eff = stats.kish_n_eff(sw, sw2)
    found = row(
        result_set,
        scope=Scope.GROUP,
        industry_group=tele,
        measure=f"q:{channel.key}=phone",
        metric="share",
    )
    assert found.n == 6
    assert found.value == pytest.approx(100 * phone)
    assert found.n_eff == pytest.approx(n_eff)
    assert (found.ci_low, found.ci_high) == wilson(phone * n_eff, n_eff)


def indicator(wave: Wave | None = None, **kwargs: Any) -> Indicator:
    defaults: dict[str, Any] = {
        "key": "no-to-both",
        "name": "Nei til begge",
        "condition": NO_TO_BOTH,
        "base": IndicatorBase.ANSWERED,
    }
    if wave is None:
        defaults["questionnaire_slug"] = GOLDEN_SPEC["slug"]
    return Indicator.objects.create(wave=wave, **{**defaults, **kwargs})


def test_no_to_both_is_a_share_of_those_who_answered_both() -> None:
    wave = golden_wave()
    indicator()
    result_set = run(wave)
    overall = row(result_set, scope=Scope.OVERALL, measure="ind:no-to-both")
    assert (overall.metric, overall.n, overall.value) == ("share", 7, pytest.approx(100 / 7))
    assert (overall.ci_low, overall.ci_high) == wilson(1, 7)
    beta = row(result_set, scope=Scope.COMPANY, company__slug="beta", measure="ind:no-to-both")
    assert (beta.n, beta.value) == (3, pytest.approx(100 / 3))
    alfa = row(result_set, scope=Scope.COMPANY, company__slug="alfa", measure="ind:no-to-both")
    assert (alfa.n, alfa.value, alfa.suppressed) == (2, 0.0, True)  # fewer than 3 answered both


def test_the_counted_base_keeps_everyone_in_the_denominator() -> None:
    wave = golden_wave()
    indicator(wave=wave, base=IndicatorBase.COUNTED)
    overall = row(run(wave), scope=Scope.OVERALL, measure="ind:no-to-both")
    assert (overall.n, overall.value) == (9, pytest.approx(100 / 9))


def test_a_waves_own_indicator_replaces_its_questionnaires_of_the_same_key() -> None:
    wave = golden_wave()
    indicator()
    indicator(wave=wave, condition={"q": "would_buy", "in": ["yes"]})
    overall = row(run(wave), scope=Scope.OVERALL, measure="ind:no-to-both")
    assert overall.value == pytest.approx(100 * 5 / 7)


def test_change_needs_the_same_indicator_in_the_previous_wave() -> None:
    earlier = golden_wave(slug="2026")
    run(earlier)
    later = WaveFactory(
        study=earlier.study,
        slug="2027",
        questionnaire=earlier.questionnaire,
        minimum_n=3,
        previous=earlier,
        starts_on=datetime.date(2027, 1, 1),
        ends_on=datetime.date(2027, 12, 31),
    )
    add_contacts(
        later,
        {c.slug: c for c in _companies(earlier)},
        {"beta": [(40, "phone", "no")] * 3},
        when=timezone.make_aware(datetime.datetime(2027, 3, 2, 10)),
    )
    indicator(wave=later)
    missing_before = row(run(later), scope=Scope.OVERALL, measure="ind:no-to-both")
    assert missing_before.value == pytest.approx(100.0)
    assert missing_before.change is None
    assert missing_before.previous_value is None
    indicator(wave=earlier)
    run(earlier)
    compared = row(run(later), scope=Scope.OVERALL, measure="ind:no-to-both")
    assert compared.previous_value == pytest.approx(100 / 7)
    assert compared.change == pytest.approx(100 - 100 / 7)


def _companies(wave: Wave) -> list[Any]:
    return list({r.company for r in wave.responses.select_related("company")})


# --- Properties ----------------------------------------------------------------------------

contact = st.tuples(
    st.sampled_from(["alfa", "beta", "gamma"]),
    st.integers(0, 100),
    st.sampled_from(["phone", "chat", "email"]),
    st.sampled_from(["yes", "no", NA, None]),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contacts=st.lists(contact, min_size=1, max_size=12))
def test_a_group_of_one_industry_equals_that_industry(contacts: list[Any]) -> None:
    with transaction.atomic():
        result_set, bank = _random_wave(contacts)
        only_bank = group("bare-bank", bank, waves=(result_set.wave,))
        result_set = run(result_set.wave)
        industry_rows = {
            (r.scope, r.channel, r.measure, r.metric): r
            for r in result_set.rows.filter(
                scope__in=[Scope.INDUSTRY, Scope.INDUSTRY_CHANNEL], industry=bank
            )
        }
        group_rows = {
            (
                Scope.INDUSTRY if r.scope == Scope.GROUP else Scope.INDUSTRY_CHANNEL,
                r.channel,
                r.measure,
                r.metric,
            ): r
            for r in result_set.rows.filter(industry_group=only_bank)
        }
        assert group_rows.keys() == industry_rows.keys()
        for key, industry_row in industry_rows.items():
            pooled = group_rows[key]
            assert (pooled.n, pooled.suppressed) == (industry_row.n, industry_row.suppressed)
            for field in ("n_eff", "value", "ci_low", "ci_high"):
                assert getattr(pooled, field) == pytest.approx(getattr(industry_row, field))
        transaction.set_rollback(True)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contacts=st.lists(contact, min_size=1, max_size=12))
def test_an_answer_among_all_options_is_all_of_its_base(contacts: list[Any]) -> None:
    with transaction.atomic():
        result_set, _bank = _random_wave(contacts)
        wave = result_set.wave
        indicator(wave=wave, key="any-answer", condition={"q": "would_buy", "in": ["yes", "no"]})
        result_set = run(wave)
        found = list(result_set.rows.filter(measure="ind:any-answer"))
        answered = [c for c in contacts if c[3] not in (NA, None)]
        assert bool(found) == bool(answered)
        for figure in found:
            assert figure.value == pytest.approx(100.0)
        transaction.set_rollback(True)


_examples = iter(range(10**6))


def _random_wave(contacts: list[Any]) -> tuple[ResultSet, Any]:
    n = next(_examples)
    bank = IndustryFactory(slug=f"bank-{n}")
    telecom = IndustryFactory(slug=f"tele-{n}")
    companies = {
        "alfa": CompanyFactory(industry=bank),
        "beta": CompanyFactory(industry=bank),
        "gamma": CompanyFactory(industry=telecom),
    }
    spec = {**GOLDEN_SPEC, "slug": f"golden-{n}"}
    wave = WaveFactory(
        study=StudyFactory(slug=f"ksp-{n}", kind=StudyKind.OBSERVATION),
        questionnaire=questionnaire_create(spec=spec),
        minimum_n=2,
    )
    by_company: dict[str, list[Any]] = {}
    for company, score, channel, would_buy in contacts:
        by_company.setdefault(company, []).append((score, channel, would_buy))
    add_contacts(wave, companies, by_company)
    return ResultSet(wave=wave), bank
