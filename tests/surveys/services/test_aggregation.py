"""Aggregation against a golden dataset whose results were computed by hand.

The dataset (an observation wave, minimum n = 3, unweighted):

=========  =========  ===================================  ================================
company    industry   contact scores (channel)             "would buy" (yes/no, N/A allowed)
=========  =========  ===================================  ================================
Alfa       bank       80 phone, 60 phone, 100 chat,        yes, yes, N/A, — (no dialogue)
                      0 phone (never answered)
Beta       bank       50 phone, 60 chat, 55 phone          yes, no, no
Gamma      telecom    90 phone, 95 phone                    yes, yes
=========  =========  ===================================  ================================

Hand computations (t quantiles from tables: t₀.₉₇₅ with 2, 3, 6 and 8 degrees of freedom are
4.302653, 3.182446, 2.446912 and 2.306004):

- Alfa: mean (80+60+100+0)/4 = 60; deviations 20, 0, 40, −60 → s² = 5600/3, s = 43.204938;
  se = s/2 = 21.602469; interval 60 ± 3.182446·21.602469 = 60 ± 68.748697.
- Beta: mean 55, s = 5, se = 5/√3 = 2.886751; 55 ± 4.302653·2.886751 = 55 ± 12.420689.
- Gamma: n = 2 < 3 → suppressed, not ranked.
- Bank: 7 contacts, Σ = 405, mean 57.857143. Overall: 9 contacts, Σ = 590, mean 65.555556.
- Ranks in bank: Alfa 1, Beta 2. Alfa's interval [−8.75, 128.75] overlaps Beta's
  [42.58, 67.42] → both *statistically tied*.
- Would buy, Alfa: N/A drops out: 2 of 2 = 100 %, Wilson [34.2380 %, 100 %];
  Beta 1 of 3 = 33.33 %, Wilson [6.1492 %, 79.2340 %].
- The not-answered contact counts 0 in the score and in every area, but has no answers.
"""

import datetime
from typing import Any

import pytest
from django.test import TestCase
from django.utils import timezone

from surveys.models import (
    Answer,
    Question,
    Response,
    ResponseSource,
    ResponseStatus,
    ResultRow,
    ResultSet,
    ResultSetStatus,
    Section,
    StudyKind,
    Wave,
)
from surveys.services.aggregation import aggregation_run, aggregation_start
from surveys.services.questionnaires import questionnaire_create
from tests.factories import CompanyFactory, IndustryFactory, StudyFactory, WaveFactory

pytestmark = pytest.mark.django_db

GOLDEN_SPEC: dict[str, Any] = {
    "slug": "golden",
    "kind": "evaluation",
    "title": "Gullstandard",
    "sections": [
        {
            "key": "agent",
            "title": "Kundebehandleren",
            "weight": 1,
            "questions": [
                {
                    "key": "greeting",
                    "type": "yes_no",
                    "scored": True,
                    "text": "Presenterte seg?",
                    "options": [
                        {"value": "yes", "label": "Ja", "points": 1},
                        {"value": "no", "label": "Nei", "points": 0},
                    ],
                }
            ],
        },
        {
            "key": "overall",
            "title": "Totalinntrykk",
            "weight": 1,
            "questions": [
                {
                    "key": "would_buy",
                    "type": "yes_no",
                    "allow_na": True,
                    "text": "Ville du handlet her?",
                    "options": [
                        {"value": "yes", "label": "Ja"},
                        {"value": "no", "label": "Nei"},
                    ],
                }
            ],
        },
    ],
}

NA = "__na__"
# company → [(score, channel, would_buy or None when never answered)]
GOLDEN = {
    "alfa": [(80, "phone", "yes"), (60, "phone", "yes"), (100, "chat", NA), (0, "phone", None)],
    "beta": [(50, "phone", "yes"), (60, "chat", "no"), (55, "phone", "no")],
    "gamma": [(90, "phone", "yes"), (95, "phone", "yes")],
}


def golden_wave(**kwargs: Any) -> Wave:
    bank = IndustryFactory(slug="bank", name="Bank", name_en="Banking")
    telecom = IndustryFactory(slug="telefoni", name="Telefoni", name_en="Telecom")
    companies = {
        "alfa": CompanyFactory(name="Alfa", slug="alfa", industry=bank),
        "beta": CompanyFactory(name="Beta", slug="beta", industry=bank),
        "gamma": CompanyFactory(name="Gamma", slug="gamma", industry=telecom),
    }
    wave = WaveFactory(
        study=StudyFactory(slug="ksp", kind=StudyKind.OBSERVATION),
        questionnaire=questionnaire_create(spec=GOLDEN_SPEC),
        minimum_n=3,
        **kwargs,
    )
    add_contacts(wave, companies, GOLDEN)
    return wave


def add_contacts(
    wave: Wave,
    companies: dict[str, Any],
    contacts: dict[str, list[tuple[float, str, str | None]]],
    *,
    status: str = ResponseStatus.APPROVED,
    when: datetime.datetime | None = None,
) -> None:
    questions = {q.key: q for q in Question.objects.filter(questionnaire=wave.questionnaire)}
    sections = {s.key: s for s in Section.objects.filter(questionnaire=wave.questionnaire)}
    for slug, rows in contacts.items():
        company = companies[slug]
        for score, channel, would_buy in rows:
            response = Response.objects.create(
                wave=wave,
                source=ResponseSource.OBSERVER,
                company=company,
                channel=channel,
                status=status,
                submitted_at=when or timezone.make_aware(datetime.datetime(2026, 3, 2, 10)),
                score=score,
                section_scores={"agent": score, "overall": score},
            )
            if would_buy is None:  # never answered: a score of 0 and no answers
                continue
            Answer.objects.create(
                response=response,
                question=questions["greeting"],
                wave=wave,
                section=sections["agent"],
                company=company,
                channel=channel,
                value_text="yes" if score >= 60 else "no",
                score=100.0 if score >= 60 else 0.0,
            )
            Answer.objects.create(
                response=response,
                question=questions["would_buy"],
                wave=wave,
                section=sections["overall"],
                company=company,
                channel=channel,
                value_text="" if would_buy == NA else would_buy,
                is_na=would_buy == NA,
            )


def start(wave: Wave, cutoff: datetime.date | None = None) -> ResultSet:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return aggregation_start(wave=wave, cutoff=cutoff or wave.ends_on)


def run(wave: Wave, cutoff: datetime.date | None = None) -> ResultSet:
    result_set = start(wave, cutoff)
    result_set.refresh_from_db()
    assert result_set.status == ResultSetStatus.COMPLETE, result_set.error
    return result_set


def row(result_set: ResultSet, **filters: Any) -> ResultRow:
    return result_set.rows.get(**filters)


def panel_answer(
    question: Question, company: Any, channel: str, gender: str, **values: Any
) -> Answer:
    """A submitted panel response (aged 30–44, in Oslo) with one answer to ``question``."""
    wave = question.questionnaire.waves.get()
    response = Response.objects.create(
        wave=wave,
        source=ResponseSource.PANEL,
        company=company,
        channel=channel,
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.make_aware(datetime.datetime(2026, 3, 2, 10)),
        gender=gender,
        age_group="30-44",
        region="oslo",
    )
    return Answer.objects.create(
        response=response,
        question=question,
        wave=wave,
        section=question.section,
        company=company,
        channel=channel,
        **values,
    )


def test_golden_dataset_scores_intervals_ranks_ties_and_suppression() -> None:
    wave = golden_wave()
    result_set = run(wave)
    assert result_set.is_current
    assert result_set.responses == 9

    alfa = row(result_set, scope="company", company__slug="alfa", measure="score")
    assert alfa.n == 4
    assert alfa.value == pytest.approx(60)
    assert alfa.sd == pytest.approx(43.204938, abs=1e-6)
    assert alfa.ci_low == pytest.approx(60 - 68.748697, abs=1e-5)
    assert alfa.ci_high == pytest.approx(60 + 68.748697, abs=1e-5)

    beta = row(result_set, scope="company", company__slug="beta", measure="score")
    assert (beta.n, beta.value) == (3, pytest.approx(55))
    assert beta.ci_low == pytest.approx(55 - 12.420689, abs=1e-5)
    assert beta.ci_high == pytest.approx(55 + 12.420689, abs=1e-5)

    assert (alfa.rank, beta.rank) == (1, 2)
    assert alfa.tied
    assert beta.tied

    gamma = row(result_set, scope="company", company__slug="gamma", measure="score")
    assert gamma.suppressed
    assert gamma.rank is None
    assert gamma.value == pytest.approx(92.5)

    bank = row(result_set, scope="industry", industry__slug="bank", measure="score")
    assert (bank.n, bank.value) == (7, pytest.approx(405 / 7))
    overall = row(result_set, scope="overall", measure="score")
    assert (overall.n, overall.value) == (9, pytest.approx(590 / 9))

    # The never-answered contact counts 0 in every area too.
    area = row(result_set, scope="company", company__slug="alfa", measure="area:overall")
    assert (area.n, area.value) == (4, pytest.approx(60))


def test_golden_dataset_shares_leave_na_out() -> None:
    result_set = run(golden_wave())
    alfa = row(result_set, scope="company", company__slug="alfa", measure="q:would_buy=yes")
    assert (alfa.n, alfa.value) == (2, pytest.approx(100))
    assert alfa.ci_low == pytest.approx(34.2380227, abs=1e-6)
    assert alfa.ci_high == pytest.approx(100)
    beta = row(result_set, scope="company", company__slug="beta", measure="q:would_buy=yes")
    assert beta.value == pytest.approx(100 / 3)
    assert (beta.ci_low, beta.ci_high) == (
        pytest.approx(6.1491945, abs=1e-6),
        pytest.approx(79.2340399, abs=1e-6),
    )
    # A scored yes/no also gets its mean of points: Alfa's three answered dialogues greeted.
    greeting = row(result_set, scope="company", company__slug="alfa", measure="q:greeting")
    assert (greeting.metric, greeting.n, greeting.value) == ("mean", 3, pytest.approx(100))


def test_channel_and_company_channel_scopes() -> None:
    result_set = run(golden_wave())
    # Phone: Alfa 80, 60, 0; Beta 50, 55; Gamma 90, 95.
    phone = row(result_set, scope="channel", channel="phone", measure="score")
    assert (phone.n, phone.value) == (7, pytest.approx(430 / 7))
    alfa_phone = row(
        result_set, scope="company_channel", company__slug="alfa", channel="phone", measure="score"
    )
    assert (alfa_phone.n, alfa_phone.value, alfa_phone.industry.slug) == (
        3,
        pytest.approx(140 / 3),
        "bank",
    )
    bank_chat = row(
        result_set, scope="industry_channel", industry__slug="bank", channel="chat", measure="score"
    )
    assert (bank_chat.n, bank_chat.value) == (2, pytest.approx(80))
    assert bank_chat.suppressed  # 2 < minimum n 3


def test_only_counted_responses_before_the_cutoff() -> None:
    wave = golden_wave()
    companies = {"alfa": wave.responses.filter(company__slug="alfa").first().company}
    # A report QA has not approved, one after the cutoff, and one marked invalid: none count.
    add_contacts(wave, companies, {"alfa": [(5, "phone", "no")]}, status=ResponseStatus.SUBMITTED)
    later = timezone.make_aware(datetime.datetime(2026, 6, 1, 12))
    add_contacts(wave, companies, {"alfa": [(5, "phone", "no")]}, when=later)
    add_contacts(wave, companies, {"alfa": [(5, "phone", "no")]})
    wave.responses.filter(score=5, submitted_at__lt=later, status="approved").update(
        invalidated_at=timezone.now(), invalid_reason="test"
    )
    result_set = run(wave, cutoff=datetime.date(2026, 5, 31))
    assert result_set.is_provisional
    alfa = row(result_set, scope="company", company__slug="alfa", measure="score")
    assert (alfa.n, alfa.value) == (4, pytest.approx(60))


def test_a_new_set_replaces_the_current_one_and_the_first_stays_intact() -> None:
    wave = golden_wave()
    first = run(wave)
    second = run(wave)
    first.refresh_from_db()
    assert second.is_current
    assert not first.is_current
    assert first.rows.count() == second.rows.count() > 0


def test_a_failed_run_leaves_the_previous_set_current_and_a_rerun_succeeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wave = golden_wave()
    first = run(wave)
    from surveys.services import aggregation

    real = aggregation._rank

    def broken(comp: Any) -> None:
        raise RuntimeError("worker lost")

    monkeypatch.setattr(aggregation, "_rank", broken)
    start(wave)  # the task fails (eager here, so its error is logged by on_commit)
    failed = ResultSet.objects.exclude(pk=first.pk).get()
    assert failed.status == ResultSetStatus.FAILED
    assert not failed.is_current
    assert failed.job.status == "failed"
    assert "worker lost" in failed.job.message
    first.refresh_from_db()
    assert first.is_current

    monkeypatch.setattr(aggregation, "_rank", real)
    assert aggregation_run(result_set_id=failed.pk)["skipped"]  # a failed set stays failed
    rerun = run(wave)
    assert rerun.is_current
    assert rerun.rows.count() == first.rows.count()


def test_a_rerun_replaces_a_run_whose_worker_stopped(settings: Any) -> None:
    wave = golden_wave()
    with TestCase.captureOnCommitCallbacks(execute=False):
        lost = aggregation_start(wave=wave, cutoff=wave.ends_on)  # queued; its worker dies
    assert start(wave).pk == lost.pk  # while it may still be working, it is not doubled
    settings.AGGREGATION_STALLED_AFTER = 0
    rerun = run(wave)
    lost.refresh_from_db()
    assert rerun.pk != lost.pk
    assert rerun.is_current
    assert lost.status == ResultSetStatus.FAILED
    assert "Arbeideren stoppet" in lost.error


def test_change_against_the_previous_wave() -> None:
    previous = golden_wave(ends_on=datetime.date(2026, 6, 30))
    run(previous)
    wave = WaveFactory(
        study=previous.study,
        questionnaire=previous.questionnaire,
        previous=previous,
        minimum_n=3,
    )
    companies = {c.slug: c for c in [r.company for r in previous.responses.all()]}
    # Alfa improves from 60 (sd 43.2, n 4) to 90, 95, 100, 85 (mean 92.5, sd 6.454972).
    add_contacts(
        wave,
        companies,
        {
            "alfa": [
                (90, "phone", "yes"),
                (95, "phone", "yes"),
                (100, "chat", "yes"),
                (85, "chat", "no"),
            ]
        },
    )
    result_set = run(wave)
    alfa = row(result_set, scope="company", company__slug="alfa", measure="score")
    assert alfa.previous_value == pytest.approx(60)
    assert alfa.change == pytest.approx(32.5)
    # Welch: se² = 43.204938²/4 + 6.454972²/4 = 466.666667 + 10.416667; df = 3.13.
    from scipy import stats as sps

    se = (43.2049379893857**2 / 4 + 6.454972243679028**2 / 4) ** 0.5
    df = se**4 / ((43.2049379893857**2 / 4) ** 2 / 3 + (6.454972243679028**2 / 4) ** 2 / 3)
    half = sps.t.ppf(0.975, df) * se
    assert (alfa.change_low, alfa.change_high) == (
        pytest.approx(32.5 - half),
        pytest.approx(32.5 + half),
    )
    assert not alfa.significant  # the old interval is wide: not significant at 5 %
    share = row(result_set, scope="company", company__slug="alfa", measure="q:would_buy=yes")
    assert share.previous_value == pytest.approx(100)
    assert share.change == pytest.approx(-25)


def test_weighted_panel_wave_uses_raked_weights_and_n_eff() -> None:
    import numpy as np

    from surveys import stats
    from tests.factories import ksindeks_questionnaire

    wave = WaveFactory(
        questionnaire=ksindeks_questionnaire(),
        minimum_n=1,
        weight_margins={"gender": {"female": 50, "male": 50}},
    )
    satisfaction = Question.objects.get(questionnaire=wave.questionnaire, role="satisfaction")
    company = CompanyFactory()
    # Three women, one man: raking gives women 2/3 and the man 2 (mean 1).
    scores = [("female", 20.0), ("female", 40.0), ("female", 60.0), ("male", 100.0)]
    for gender, score in scores:
        panel_answer(
            satisfaction, company, "phone", gender, value_number=1 + score / 100 * 9, score=score
        )
    result_set = run(wave)
    weights = np.array([2 / 3, 2 / 3, 2 / 3, 2.0])
    values = np.array([s for _g, s in scores])
    overall = row(result_set, scope="overall", measure=f"q:{satisfaction.key}", metric="mean")
    assert overall.value == pytest.approx(float(np.average(values, weights=weights)))
    assert overall.n == 4
    assert overall.n_eff == pytest.approx(stats.kish_n_eff(weights.sum(), (weights**2).sum()))
    assert result_set.weighting["weighted"] == 4
    assert result_set.weighting["design_effect"] == pytest.approx(4 / overall.n_eff)


def test_new_responses_make_results_stale_and_the_nightly_run_refreshes_them() -> None:
    from surveys.services.aggregation import results_are_stale, stale_waves
    from surveys.tasks import aggregate_stale_waves

    wave = golden_wave()
    from tests.factories import poll_wave

    poll = poll_wave()
    assert wave in stale_waves()  # never aggregated
    assert poll not in stale_waves()  # a poll shows its own result
    first = run(wave)
    assert not results_are_stale(wave=wave, result_set=first)
    assert wave not in stale_waves()
    companies = {"beta": wave.responses.filter(company__slug="beta").first().company}
    add_contacts(wave, companies, {"beta": [(100, "phone", "yes")]})
    assert results_are_stale(wave=wave, result_set=first)
    with TestCase.captureOnCommitCallbacks(execute=True):
        started = aggregate_stale_waves()
    fresh = ResultSet.objects.get(pk=started[wave.slug])
    assert fresh.is_current
    assert fresh.responses == 10
    assert not results_are_stale(wave=wave, result_set=fresh)


def test_changes_compare_with_the_previous_waves_final_results() -> None:
    from surveys.services.aggregation import previous_result_set

    previous = golden_wave(ends_on=datetime.date(2026, 6, 30))
    final = run(previous)
    provisional = run(previous, cutoff=datetime.date(2026, 3, 1))  # current, but not final
    assert provisional.is_current
    wave = WaveFactory(
        study=previous.study, questionnaire=previous.questionnaire, previous=previous
    )
    assert previous_result_set(wave) == final


def test_multiple_choice_shares_count_each_ticked_option_weighted() -> None:
    """Each option's share is of those who answered the question (N/A left out), so the shares
    add up to more than 100 %; weighted, with a Wilson interval on n_eff."""
    from statsmodels.stats.proportion import proportion_confint

    from surveys import stats

    spec = {
        "slug": "flervalg",
        "kind": "survey",
        "title": "Flervalg",
        "sections": [
            {
                "key": "contact",
                "title": "Kontakten",
                "questions": [
                    {
                        "key": "tried",
                        "type": "multiple_choice",
                        "allow_na": True,
                        "text": "Hva prøvde du først?",
                        "options": [
                            {"value": "faq", "label": "Ofte stilte spørsmål"},
                            {"value": "chat", "label": "Chat"},
                            {"value": "phone", "label": "Telefon"},
                        ],
                    }
                ],
            }
        ],
    }
    wave = WaveFactory(
        questionnaire=questionnaire_create(spec=spec),
        minimum_n=1,
        weight_margins={"gender": {"female": 50, "male": 50}},
    )
    tried = Question.objects.get(questionnaire=wave.questionnaire, key="tried")
    company = CompanyFactory()
    # Three women and one man answered; one more woman said N/A.
    answered = [
        ("female", ["faq", "chat"]),
        ("female", ["chat"]),
        ("female", ["faq", "chat", "phone"]),
        ("male", ["phone"]),
        ("female", NA),
    ]
    for gender, ticked in answered:
        if ticked == NA:
            panel_answer(tried, company, "chat", gender, is_na=True)
        elif ticked == ["phone"]:  # one answer kept as text, as a single choice is stored
            panel_answer(tried, company, "chat", gender, value_text="phone")
        else:
            panel_answer(tried, company, "chat", gender, value_choices=ticked)
    result_set = run(wave)
    # Raking the five responses to 50/50 (mean weight 1): each woman 2.5/4, the man 2.5.
    w_woman, w_man = 2.5 / 4, 2.5
    answering = [w_man if g == "male" else w_woman for g, t in answered if t != NA]
    sw, sw2 = sum(answering), sum(w * w for w in answering)
    n_eff = stats.kish_n_eff(sw, sw2)
    expected = {
        "faq": 2 * w_woman / sw,
        "chat": 3 * w_woman / sw,
        "phone": (w_woman + w_man) / sw,
    }
    for option, share in expected.items():
        for scope, extra in [("overall", {}), ("company", {"company": company})]:
            found = row(
                result_set, scope=scope, measure=f"q:tried={option}", metric="share", **extra
            )
            low, high = proportion_confint(share * n_eff, n_eff, method="wilson")
            assert found.n == 4
            assert found.n_eff == pytest.approx(n_eff)
            assert found.value == pytest.approx(100 * share)
            assert (found.ci_low, found.ci_high) == (
                pytest.approx(100 * low),
                pytest.approx(100 * high),
            )
    overall = result_set.rows.filter(scope="overall", measure__startswith="q:tried=")
    assert sum(r.value for r in overall) > 100  # several ticks per answer


def test_a_failure_after_the_swap_leaves_the_set_complete_and_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The last progress step runs after the set is committed: when it fails (the database
    connection drops, say), the set stays complete and current instead of being marked failed
    while the public reads it."""
    from django.db import DatabaseError

    from surveys.services import aggregation

    wave = golden_wave()
    result_set = aggregation_start(wave=wave, cutoff=wave.ends_on)  # queued, not run
    real = aggregation.job_advance
    calls = []

    def advance(**kwargs: Any) -> None:
        calls.append(kwargs)
        if len(calls) == aggregation.STEPS:
            raise DatabaseError("server closed the connection unexpectedly")
        real(**kwargs)

    monkeypatch.setattr(aggregation, "job_advance", advance)
    with pytest.raises(DatabaseError):
        aggregation_run(result_set_id=result_set.pk)
    result_set.refresh_from_db()
    assert (result_set.status, result_set.is_current) == (ResultSetStatus.COMPLETE, True)
    assert result_set.rows.exists()


def test_the_sweep_queues_again_a_started_run_whose_worker_stopped_beating(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kundeservice.jobs import job_start
    from kundeservice.models import Job
    from surveys import tasks
    from surveys.services import aggregation

    queued: list[int] = []
    monkeypatch.setattr(
        aggregation,
        "enqueue",
        lambda task, **kwargs: queued.append(kwargs["result_set_id"]) or True,
    )
    wave = golden_wave()
    with TestCase.captureOnCommitCallbacks(execute=False):
        waiting = aggregation_start(wave=wave, cutoff=wave.ends_on)
        started = aggregation_start(wave=wave, cutoff=wave.starts_on, current=False)
    assert started.job_id is not None
    job_start(job_id=started.job_id, total=5)  # a worker took it
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.AGGREGATION_STALLED_AFTER + 1)
    Job.objects.update(updated_at=long_ago)

    assert tasks.redeliver_stalled_aggregations() == {"redelivered": [started.pk]}
    assert queued == [started.pk]  # not the one still waiting for a worker
    assert waiting.pk not in queued
    # Touched as it was queued: the next minute's sweep waits for the new run.
    assert tasks.redeliver_stalled_aggregations() == {"redelivered": []}
    assert Job.objects.get(pk=started.job_id).updated_at > long_ago
