"""Aggregation: turn a wave's counted responses into a ``ResultSet``.

The database does the heavy part. Two grouped queries ask for sufficient statistics
(n, Σw, Σw², Σwx, Σwx², and weighted counts of NPS promoters and detractors):

- over answers, grouped by question and answered option, for every scope at once;
- over responses, for a contact's score and each performance area's score.

On PostgreSQL each is one scan with ``GROUPING SETS``; SQLite, the embedded default, gets the
same numbers through ``UNION ALL`` of plain ``GROUP BY``s. Python then finishes a few thousand
groups with ``surveys.stats``: intervals, NPS, suppression below the wave's minimum n, shared
ranks, statistical ties and the change against the previous wave's current results.

A run writes its rows into its own ``ResultSet`` and swaps it in as current in one transaction
only at the end, so a failed or killed run leaves the previous one current. Running it again
for the same set starts over (its partial rows are deleted first).
"""

import json
import logging
import operator
import re
import time as time_module
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from kundeservice.errors import DomainError
from kundeservice.jobs import job_advance, job_fail, job_finish, job_start
from kundeservice.models import Job, JobStatus
from surveys import stats
from surveys.models import (
    Company,
    Question,
    QuestionRole,
    QuestionType,
    Response,
    ResponseStatus,
    ResultRow,
    ResultSet,
    ResultSetStatus,
    Scope,
    Section,
    StudyKind,
    Wave,
)
from surveys.models.results import Metric

logger = logging.getLogger(__name__)

AGGREGATION_JOB = "aggregation"
WEIGHT_DIMENSIONS = ("gender", "age_group", "region")
CHOICE_TYPES = {QuestionType.SINGLE_CHOICE, QuestionType.YES_NO, QuestionType.CHANNEL}
MEAN_TYPES = {QuestionType.RATING, QuestionType.NPS}
ROW_BATCH = 2000
STEPS = 5

#: The scopes, as the columns each groups by: (industry, company, channel).
SCOPE_COLUMNS: dict[str, tuple[bool, bool, bool]] = {
    Scope.OVERALL: (False, False, False),
    Scope.INDUSTRY: (True, False, False),
    Scope.COMPANY: (False, True, False),
    Scope.CHANNEL: (False, False, True),
    Scope.COMPANY_CHANNEL: (False, True, True),
    Scope.INDUSTRY_CHANNEL: (True, False, True),
}


def _grouping_bits(columns: tuple[bool, bool, bool]) -> int:
    """PostgreSQL's GROUPING(industry, company, channel): a bit set for each column *not*
    grouped by, the first column being the highest bit."""
    return sum(0 if grouped else 1 << (2 - i) for i, grouped in enumerate(columns))


SCOPE_BY_BITS = {_grouping_bits(columns): scope for scope, columns in SCOPE_COLUMNS.items()}


def counted_statuses(wave: Wave) -> list[str]:
    """Observer reports count once QA approves them; survey answers once submitted."""
    if wave.study.kind == StudyKind.OBSERVATION:
        return [ResponseStatus.APPROVED]
    return [ResponseStatus.SUBMITTED, ResponseStatus.APPROVED]


def cutoff_moment(cutoff: date) -> datetime:
    """The first instant after ``cutoff`` ends in the site's time zone."""
    return timezone.make_aware(datetime.combine(cutoff + timedelta(days=1), time.min))


def counted_responses(wave: Wave, cutoff: date) -> Any:
    return Response.objects.filter(
        wave=wave,
        status__in=counted_statuses(wave),
        invalidated_at__isnull=True,
        submitted_at__lt=cutoff_moment(cutoff),
    )


# --- Starting and running ------------------------------------------------------------------


def aggregation_start(*, wave: Wave, cutoff: date | None = None, by: Any = None) -> ResultSet:
    """Create a result set and its job, and queue the aggregation when the transaction commits.

    A run already under way for the same wave and cutoff is returned instead of a second."""
    from surveys.tasks import aggregate_wave

    cutoff = cutoff or min(timezone.localdate(), wave.ends_on)
    if cutoff < wave.starts_on:
        raise DomainError(
            _("The cutoff %(cutoff)s is before the wave starts (%(start)s).")
            % {"cutoff": cutoff.isoformat(), "start": wave.starts_on.isoformat()},
            code="cutoff",
        )
    with transaction.atomic():
        Wave.objects.select_for_update().get(pk=wave.pk)
        running = (
            ResultSet.objects.filter(wave=wave, cutoff=cutoff, status=ResultSetStatus.RUNNING)
            .exclude(job__status__in=[JobStatus.DONE, JobStatus.FAILED])
            .select_related("job")
            .first()
        )
        if running is not None:
            stalled = timezone.now() - timedelta(seconds=settings.AGGREGATION_STALLED_AFTER)
            if running.job and running.job.updated_at >= stalled:
                return running
            _give_up(running, _("The worker stopped before the aggregation finished."))
        job = Job.objects.create(
            kind=AGGREGATION_JOB,
            subject=f"{wave.name} ≤ {cutoff.isoformat()}",
            total=STEPS,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        result_set = ResultSet.objects.create(
            wave=wave, cutoff=cutoff, is_final=cutoff >= wave.ends_on, job=job
        )
        transaction.on_commit(
            lambda: _enqueue(aggregate_wave, result_set_id=result_set.pk), robust=True
        )
    return result_set


def _give_up(result_set: ResultSet, message: str) -> None:
    """Mark a run failed; a set that completed meanwhile stays complete."""
    ResultSet.objects.filter(pk=result_set.pk, status=ResultSetStatus.RUNNING).update(
        status=ResultSetStatus.FAILED, error=message[:500]
    )
    if result_set.job_id:
        job_fail(job_id=result_set.job_id, message=message)


def _enqueue(task: Any, **kwargs: Any) -> None:
    try:
        task.apply_async(kwargs=kwargs)
    except (KombuOperationalError, RedisError):  # the nightly run or a staff rerun catches up
        logger.exception("could not queue %s %s", task.name, kwargs)


def aggregation_run(*, result_set_id: int) -> dict[str, Any]:
    """Compute a result set's rows and make it current. Safe to run again: a complete or failed
    set is left alone (a rerun is a new set); a partial one, redelivered after its worker was
    lost, starts over."""
    result_set = ResultSet.objects.select_related("wave__study", "job").get(pk=result_set_id)
    if result_set.status != ResultSetStatus.RUNNING:
        return {"skipped": True, "status": result_set.status}
    job_id = result_set.job_id

    def step(message: str) -> None:
        if job_id:
            job_advance(job_id=job_id, by=1, message=message)
        _fault_pause()

    if job_id:
        Job.objects.filter(pk=job_id).update(done=0)
        job_start(job_id=job_id, total=STEPS)
    try:
        rows, info = compute_rows(result_set=result_set, progress=step)
        # The rows and the swap commit together: a set is complete with all its rows, or absent.
        with transaction.atomic():
            ResultRow.objects.filter(result_set=result_set).delete()
            save_rows(rows)
            _fault_pause()  # rows written, not yet current: where a lost worker hurts most
            _make_current(result_set=result_set, info=info)
    except Exception as exc:
        _give_up(result_set, _("The aggregation failed: %(e)s") % {"e": exc})
        raise
    # The set is complete and committed: whatever fails from here on does not undo that.
    step(_("Saved %(n)d figures.") % {"n": len(rows)})
    if job_id:
        job_finish(
            job_id=job_id,
            result={"result_set": result_set.pk, "rows": len(rows)},
            message=_("%(n)d figures from %(r)d responses.")
            % {"n": len(rows), "r": info["responses"]},
        )
    return {"rows": len(rows), "responses": info["responses"]}


def _fault_pause() -> None:
    """Fault injection for tests that kill a worker mid-run (AGGREGATION_STEP_DELAY seconds)."""
    if settings.AGGREGATION_STEP_DELAY:
        time_module.sleep(settings.AGGREGATION_STEP_DELAY)


def _make_current(*, result_set: ResultSet, info: dict[str, Any]) -> None:
    with transaction.atomic():
        Wave.objects.select_for_update().get(pk=result_set.wave_id)
        current = ResultSet.objects.filter(wave_id=result_set.wave_id, is_current=True).first()
        # A run started earlier than the current set's (a retried old run) never replaces it.
        takes_over = current is None or current.started_at <= result_set.started_at
        if takes_over and current is not None:
            ResultSet.objects.filter(pk=current.pk).update(is_current=False)
        ResultSet.objects.filter(pk=result_set.pk).update(
            status=ResultSetStatus.COMPLETE,
            is_current=takes_over,
            completed_at=timezone.now(),
            responses=info["responses"],
            weighting=info["weighting"],
            error="",
        )
        if takes_over:
            transaction.on_commit(results_changed)


def results_changed() -> None:
    """Public results pages are cached under a version: bump it so every page is rebuilt."""
    from surveys.selectors import results_cache_bump

    results_cache_bump()


def stale_waves() -> list[Wave]:
    """Waves whose current results are missing or older than a counted response's last change."""
    waves = []
    # Open polls show their own live result after answering; they have no published results.
    candidates = Wave.objects.select_related("study").exclude(status="draft")
    for wave in candidates.exclude(study__kind=StudyKind.POLL):
        current = wave.result_sets.filter(is_current=True).first()
        if current is None or results_are_stale(wave=wave, result_set=current):
            waves.append(wave)
    return waves


def results_are_stale(*, wave: Wave, result_set: ResultSet) -> bool:
    """Has a response been submitted, approved, invalidated or restored since this set ran?"""
    return (
        Response.objects.filter(wave=wave, updated_at__gt=result_set.started_at)
        .exclude(status=ResponseStatus.DRAFT)
        .exists()
    )


# --- Computing ---------------------------------------------------------------------------


class Sums(NamedTuple):
    """Additive sufficient statistics of one group (a named tuple: a run makes thousands)."""

    n: int = 0
    sw: float = 0.0
    sw2: float = 0.0
    n_x: int = 0
    sw_x: float = 0.0
    sw2_x: float = 0.0
    swx: float = 0.0
    swx2: float = 0.0
    sw_promoters: float = 0.0
    sw_detractors: float = 0.0

    def plus(self, other: "Sums") -> "Sums":
        return Sums(*map(operator.add, self, other))

    @property
    def score_moments(self) -> stats.Moments:
        return stats.Moments(self.n_x, self.sw_x, self.sw2_x, self.swx, self.swx2)


class GroupKey(NamedTuple):
    scope: str
    industry: int | None
    company: int | None
    channel: str


@dataclass(slots=True)
class Figure:
    """A ``ResultRow`` being computed: its fields by column name, without a model instance
    (a set has thousands; rows are written with COPY or ``bulk_create``)."""

    result_set_id: int
    scope: str
    measure: str
    metric: str
    industry_id: int | None
    company_id: int | None
    channel: str
    n: int
    n_eff: float
    section_id: int | None = None
    question_id: int | None = None
    option: str = ""
    value: float | None = None
    sd: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    suppressed: bool = False
    rank: int | None = None
    tied: bool = False
    previous_value: float | None = None
    change: float | None = None
    change_low: float | None = None
    change_high: float | None = None
    significant: bool = False


def save_rows(rows: list[Figure]) -> None:
    """Insert the rows: with COPY on PostgreSQL (a set has thousands), else in batches."""
    if connection.vendor != "postgresql":
        models = [ResultRow(**{f: getattr(row, f) for f in Figure.__slots__}) for row in rows]
        ResultRow.objects.bulk_create(models, batch_size=ROW_BATCH)
        return
    fields = [f for f in ResultRow._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(ResultRow._meta.db_table)
    # Binary: half the time of text, which formats and parses some 150,000 floats.
    types = [re.sub(r"\(.*\)", "", str(f.db_type(connection))) for f in fields]
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(types)
        values = operator.attrgetter(*(f.attname for f in fields))
        for row in rows:
            copy.write_row(values(row))


@dataclass
class Computation:
    wave: Wave
    result_set: ResultSet
    minimum_n: int
    company_industry: dict[int, int]
    rows: list[Figure] = field(default_factory=list)


def compute_rows(
    *, result_set: ResultSet, progress: Callable[[str], None] = lambda _m: None
) -> tuple[list[Figure], dict[str, Any]]:
    wave = result_set.wave
    cutoff = result_set.cutoff
    responses = counted_responses(wave, cutoff)
    weights, weighting = cell_weights(wave=wave, responses=responses)
    progress(_("Weights computed."))
    questions = list(
        Question.objects.filter(questionnaire_id=wave.questionnaire_id)
        .exclude(role__in=[QuestionRole.COMPANY, QuestionRole.SCREENING])
        .filter(
            Q(type__in=MEAN_TYPES | CHOICE_TYPES | {QuestionType.MULTIPLE_CHOICE}) | Q(scored=True)
        )
        .select_related("section")
        .prefetch_related("options")
    )
    comp = Computation(
        wave=wave,
        result_set=result_set,
        minimum_n=wave.minimum_n,
        company_industry=dict(Company.objects.values_list("id", "industry_id")),
    )
    answer_groups = _answer_sums(
        wave,
        cutoff,
        weights,
        [q.pk for q in questions],
        {q.pk for q in questions if q.type == QuestionType.MULTIPLE_CHOICE},
    )
    progress(_("Answers summed."))
    # Only an observed contact has a score and area scores (a survey's figures are its answers').
    response_groups = (
        _response_sums(wave, cutoff, weights) if wave.study.kind == StudyKind.OBSERVATION else {}
    )
    progress(_("Scores summed."))
    for question in questions:
        _question_rows(comp, question, answer_groups.get(question.pk, {}))
    sections = {s.key: s for s in Section.objects.filter(questionnaire_id=wave.questionnaire_id)}
    for measure, groups in response_groups.items():
        section = sections.get(measure.removeprefix("area:")) if measure != "score" else None
        if measure != "score" and section is None:
            continue
        for key, sums in groups.items():
            comp.rows.append(_mean_row(comp, key, sums.score_moments, measure, section=section))
    _rank(comp)
    _compare_with_previous(comp)
    progress(_("Intervals, ranks and changes computed."))
    counted = responses.count()
    return comp.rows, {"responses": counted, "weighting": weighting}


def headline_measure(*, wave: Wave) -> str | None:
    """The measure companies are ranked on: an observed contact's score, or a survey's
    satisfaction question."""
    if wave.study.kind == StudyKind.OBSERVATION:
        return "score"
    key = (
        Question.objects.filter(
            questionnaire_id=wave.questionnaire_id, role=QuestionRole.SATISFACTION
        )
        .order_by("section__position", "position")
        .values_list("key", flat=True)
        .first()
    )
    return f"q:{key}" if key else None


def _fill_key(comp: Computation, key: GroupKey) -> GroupKey:
    if key.company is not None and key.industry is None:
        return GroupKey(key.scope, comp.company_industry.get(key.company), key.company, key.channel)
    return key


def _base_row(comp: Computation, key: GroupKey, measure: str, metric: str) -> Figure:
    key = _fill_key(comp, key)
    return Figure(
        result_set_id=comp.result_set.pk,
        scope=key.scope,
        measure=measure,
        metric=metric,
        industry_id=key.industry,
        company_id=key.company,
        channel=key.channel,
        n=0,
        n_eff=0.0,
    )


def _mean_row(
    comp: Computation,
    key: GroupKey,
    moments: stats.Moments,
    measure: str,
    *,
    section: Section | None = None,
    question: Question | None = None,
) -> Figure:
    row = _base_row(comp, key, measure, Metric.MEAN)
    estimate = stats.mean_interval(moments)
    row.section_id = section.pk if section else (question.section_id if question else None)
    row.question_id = question.pk if question else None
    _set_estimate(comp, row, estimate, moments.n, moments.n_eff)
    return row


def _set_estimate(
    comp: Computation, row: Figure, estimate: stats.Estimate, n: int, n_eff: float
) -> None:
    row.n = n
    row.n_eff = n_eff
    row.value, row.sd, row.se = estimate.value, estimate.sd, estimate.se
    row.ci_low, row.ci_high = estimate.ci_low, estimate.ci_high
    row.suppressed = n < comp.minimum_n


def _question_rows(
    comp: Computation, question: Question, groups: dict[tuple[GroupKey, str], Sums]
) -> None:
    multiple = question.type == QuestionType.MULTIPLE_CHOICE
    totals: dict[GroupKey, Sums] = {}
    for (key, option), sums in groups.items():
        if multiple:  # who answered is counted apart from what they ticked
            if not option:
                totals[key] = sums
            continue
        total = totals.get(key)
        totals[key] = sums if total is None else total.plus(sums)
    measure = f"q:{question.key}"
    for key, sums in totals.items():
        if sums.n_x and (question.type in MEAN_TYPES or question.scored):
            comp.rows.append(_mean_row(comp, key, sums.score_moments, measure, question=question))
        if question.type == QuestionType.NPS and sums.sw > 0:
            n_eff = stats.kish_n_eff(sums.sw, sums.sw2)
            estimate = stats.nps(
                sums.sw_promoters / sums.sw * n_eff, sums.sw_detractors / sums.sw * n_eff, n_eff
            )
            row = _base_row(comp, key, measure, Metric.NPS)
            row.section_id, row.question_id = question.section_id, question.pk
            _set_estimate(comp, row, estimate, sums.n, n_eff)
            comp.rows.append(row)
    if question.type not in CHOICE_TYPES and not multiple:
        return
    options = [o.value for o in question.options.all()] or sorted({o for _k, o in groups if o})
    if question.type == QuestionType.CHANNEL and not question.options.all():
        options = sorted({o for _k, o in groups})
    for key, total in totals.items():
        if total.sw <= 0 or not _shares_wanted(question, key.scope):
            continue
        moments = stats.Moments(n=total.n, sw=total.sw, sw2=total.sw2, swx=0.0, swx2=0.0)
        for option in options:
            chosen = groups.get((key, option))
            estimate = stats.share(chosen.sw if chosen else 0.0, moments)
            row = _base_row(comp, key, f"{measure}={option}", Metric.SHARE)
            row.section_id, row.question_id, row.option = question.section_id, question.pk, option
            _set_estimate(comp, row, _percent(estimate), total.n, moments.n_eff)
            comp.rows.append(row)


def _shares_wanted(question: Question, scope: str) -> bool:
    """Option shares are published down to company and industry × channel. A company × channel
    cell is small (the index has some 450 of them) and gets means only; and the share choosing
    each channel, within one channel, is 100 % by definition."""
    if scope == Scope.COMPANY_CHANNEL:
        return False
    return not (question.role == QuestionRole.CHANNEL and SCOPE_COLUMNS[scope][2])


def _percent(estimate: stats.Estimate) -> stats.Estimate:
    def pct(x: float | None) -> float | None:
        return None if x is None else 100.0 * x

    return stats.Estimate(
        pct(estimate.value),
        pct(estimate.ci_low),
        pct(estimate.ci_high),
        se=pct(estimate.se),
        n=estimate.n,
        n_eff=estimate.n_eff,
    )


def _rank(comp: Computation) -> None:
    """Companies ranked within their industry, and company × channel within the channel, on
    the headline measure; suppressed rows get no rank."""
    measure = headline_measure(wave=comp.wave)
    if measure is None:
        return
    pools: dict[tuple[str, Any], list[Figure]] = defaultdict(list)
    for row in comp.rows:
        if row.measure != measure or row.metric != Metric.MEAN or row.suppressed:
            continue
        if row.value is None:
            continue
        if row.scope == Scope.COMPANY:
            pools[(Scope.COMPANY, row.industry_id)].append(row)
        elif row.scope == Scope.COMPANY_CHANNEL:
            pools[(Scope.COMPANY_CHANNEL, row.channel)].append(row)
    for pool in pools.values():
        ranks = stats.competition_ranks([r.value for r in pool])
        for row, rank in zip(pool, ranks, strict=True):
            row.rank = rank
        leaders = [r for r in pool if r.rank == 1]
        others = [r for r in pool if r.rank != 1]
        if not others and len(leaders) < 2:
            continue
        next_rank = min((r.rank or 0 for r in others), default=None)
        contenders = leaders[1:] + [r for r in others if r.rank == next_rank]
        for leader in leaders:
            for other in contenders:
                low_high, other_low_high = _interval(leader), _interval(other)
                equal = other.rank == 1
                if equal or (
                    low_high
                    and other_low_high
                    and stats.statistically_tied(low_high, other_low_high)
                ):
                    leader.tied = other.tied = True


def _interval(row: Figure | ResultRow) -> tuple[float, float] | None:
    if row.ci_low is None or row.ci_high is None:
        return None
    return (row.ci_low, row.ci_high)


def _row_key(row: Figure | ResultRow) -> tuple[Any, ...]:
    return (row.scope, row.industry_id, row.company_id, row.channel, row.measure, row.metric)


def previous_result_set(wave: Wave) -> ResultSet | None:
    if wave.previous_id is None:
        return None
    sets = ResultSet.objects.filter(wave_id=wave.previous_id, status=ResultSetStatus.COMPLETE)
    # Its final results: the current set when it is final, else the latest final one; a
    # previous wave still collecting is compared as it stands.
    return (
        sets.filter(is_current=True, is_final=True).first()
        or sets.filter(is_final=True).order_by("-started_at").first()
        or sets.filter(is_current=True).first()
    )


def _compare_with_previous(comp: Computation) -> None:
    previous = previous_result_set(comp.wave)
    if previous is None:
        return
    before = {_row_key(row): row for row in previous.rows.all().iterator(chunk_size=5000)}
    for row in comp.rows:
        old = before.get(_row_key(row))
        if old is None or old.value is None or row.value is None:
            continue
        row.previous_value = old.value
        row.change = row.value - old.value
        comparison = _compare(row, old)
        if comparison is not None:
            row.change_low, row.change_high = comparison.ci_low, comparison.ci_high
            row.significant = comparison.significant


def _compare(new: Figure, old: ResultRow) -> stats.Comparison | None:
    if new.metric == Metric.MEAN:
        if not (new.sd and old.sd and new.n_eff > 1 and old.n_eff > 1):
            return None
        return stats.welch(new.value, new.sd, new.n_eff, old.value, old.sd, old.n_eff)  # type: ignore[arg-type]
    if new.metric == Metric.SHARE:
        if new.n_eff <= 0 or old.n_eff <= 0:
            return None
        comparison = stats.newcombe(
            new.value / 100 * new.n_eff,  # type: ignore[operator]
            new.n_eff,
            old.value / 100 * old.n_eff,  # type: ignore[operator]
            old.n_eff,
        )
        return stats.Comparison(
            100 * comparison.difference,
            100 * comparison.ci_low,
            100 * comparison.ci_high,
            None,
            None,
            comparison.significant,
        )
    if new.se is None or old.se is None:
        return None
    return stats.difference_of_estimates(new.value, new.se, old.value, old.se)  # type: ignore[arg-type]


# --- Weights --------------------------------------------------------------------------------


def cell_weights(
    *, wave: Wave, responses: Any
) -> tuple[dict[tuple[str, ...], float], dict[str, Any]]:
    """Raking weights per weighting cell (gender × age group × region), trimmed, mean 1.

    Only panel waves with targets are weighted. Responses whose cell lacks a value the targets
    name keep weight 1 and are counted in the summary."""
    margins = wave.weight_margins or {}
    if wave.study.kind != StudyKind.PANEL or not margins:
        return {}, {}
    dims = [d for d in WEIGHT_DIMENSIONS if d in margins]
    counts = list(responses.values_list(*WEIGHT_DIMENSIONS).annotate(n=Count("id")))
    complete = [
        (cell, n)
        for *cell, n in counts
        if all(cell[WEIGHT_DIMENSIONS.index(d)] in margins[d] for d in dims)
    ]
    outside = sum(n for *_cell, n in counts) - sum(n for _cell, n in complete)
    if not complete:
        return {}, {"unweighted": outside}
    try:
        cell_weights_found = stats.rake(
            [{d: cell[WEIGHT_DIMENSIONS.index(d)] for d in dims} for cell, _n in complete],
            {d: margins[d] for d in dims},
            trim=(wave.weight_trim_min, wave.weight_trim_max),
            counts=[n for _cell, n in complete],
        )
    except ValueError as exc:
        raise DomainError(
            _("The weighting targets do not fit the responses: %(e)s") % {"e": exc},
            code="weighting",
        ) from exc
    weights = {tuple(cell): w for (cell, _n), w in zip(complete, cell_weights_found, strict=True)}
    people = sum(n for _cell, n in complete)
    sw = sum(w * n for (_cell, n), w in zip(complete, cell_weights_found, strict=True))
    sw2 = sum(w * w * n for (_cell, n), w in zip(complete, cell_weights_found, strict=True))
    summary = {
        "weighted": people,
        "unweighted": outside,
        "min": min(cell_weights_found),
        "max": max(cell_weights_found),
        "design_effect": people / stats.kish_n_eff(sw, sw2),
    }
    return weights, summary


# --- SQL ------------------------------------------------------------------------------------
#
# Two stages. The inner query makes one pass over the counted answers (or responses), grouped by
# the finest keys any scope needs: (what, option, company, channel), with weighted sums. Sums add
# up, so the outer query rolls those few thousand rows up to every scope at once: GROUPING SETS
# on PostgreSQL, a UNION ALL of GROUP BYs over the materialised inner rows on SQLite. The one
# pass over the answers costs about what a bare GROUP BY does.

#: The additive sums every group carries, in ``Sums`` order.
#: The inner query's sums; ``no_x`` (before them) says whether the group's value is missing, so
#: the counts of present values need no sums of their own in the pass over the answers.
INNER_COLUMNS = ("n", "sw", "sw2", "swx", "swx2", "prom", "det")
#: The rolled-up sums, in ``Sums`` order.
SUMMED = (
    "CAST(SUM(f.n) AS BIGINT)",
    "COALESCE(SUM(f.sw), 0)",
    "COALESCE(SUM(f.sw2), 0)",
    "CAST(COALESCE(SUM(f.n) FILTER (WHERE NOT f.no_x), 0) AS BIGINT)",
    "COALESCE(SUM(f.sw) FILTER (WHERE NOT f.no_x), 0)",
    "COALESCE(SUM(f.sw2) FILTER (WHERE NOT f.no_x), 0)",
    "COALESCE(SUM(f.swx), 0)",
    "COALESCE(SUM(f.swx2), 0)",
    "COALESCE(SUM(f.prom), 0)",
    "COALESCE(SUM(f.det), 0)",
)


def _weight_cte(weights: dict[tuple[str, ...], float]) -> tuple[str, list[Any], str, str]:
    """A ``cw`` CTE of cell weights, its join and the weight expression."""
    one = "CAST(1 AS DOUBLE PRECISION)"  # a bare 1.0 is NUMERIC to PostgreSQL: slow, Decimal
    if not weights:
        return "", [], "", one
    cells = list(weights)
    if connection.vendor == "postgresql":
        # Four arrays, not a VALUES list of hundreds of placeholders (whose parsing alone cost
        # the client 0.15 s); weights as double precision: NUMERIC sums are slow.
        cte = (
            "cw(gender, age_group, region, w) AS NOT MATERIALIZED (SELECT * FROM unnest("
            "CAST(%s AS TEXT[]), CAST(%s AS TEXT[]), CAST(%s AS TEXT[]), "
            "CAST(%s AS DOUBLE PRECISION[])))"
        )
        params: list[Any] = [
            *([cell[i] for cell in cells] for i in range(3)),
            [float(weights[cell]) for cell in cells],
        ]
    else:
        values = ", ".join(["(%s, %s, %s, CAST(%s AS DOUBLE PRECISION))"] * len(cells))
        cte = f"cw(gender, age_group, region, w) AS (VALUES {values})"
        params = [x for cell in cells for x in (*cell, float(weights[cell]))]
    join = (
        " LEFT JOIN cw ON cw.gender = r.gender AND cw.age_group = r.age_group"
        " AND cw.region = r.region"
    )
    return cte, params, join, f"COALESCE(cw.w, {one})"


def _sums_sql(w: str, value: str, *, nps: str | None = None) -> str:
    """The inner query's sums of ``value`` under weight ``w`` (NPS counts from ``nps``), in
    ``INNER_COLUMNS`` order."""
    promoters = f"SUM({w}) FILTER (WHERE {nps} >= 9)" if nps else "0"
    detractors = f"SUM({w}) FILTER (WHERE {nps} <= 6)" if nps else "0"
    return (
        f"COUNT(*), SUM({w}), SUM({w} * {w}), SUM({w} * {value}), "
        f"SUM({w} * {value} * {value}), {promoters}, {detractors}"
    )


def _rolled_up(*, inner: list[str], params: list[Any], cte: str, cte_params: list[Any]) -> Any:
    """Every scope's sums from the inner queries' rows (key, option, company, channel, sums…).

    Yields (scope bits, industry, company, channel, key, option, *sums)."""
    columns = ", ".join(INNER_COLUMNS)
    fine = f"fine(k, opt, company_id, channel, no_x, {columns}) AS ({' UNION ALL '.join(inner)})"
    dims = ("c.industry_id", "f.company_id", "f.channel")
    summed = ", ".join(SUMMED)
    source = "FROM fine f LEFT JOIN surveys_company c ON c.id = f.company_id"
    ctes = ", ".join([x for x in (cte, fine) if x])
    all_params = cte_params + params
    if connection.vendor == "postgresql":
        sets = ", ".join(
            "(" + ", ".join(d for d, on in zip(dims, cols, strict=True) if on) + ")"
            for cols in SCOPE_COLUMNS.values()
        )
        sql = (
            f"WITH {ctes} SELECT GROUPING({', '.join(dims)}), {', '.join(dims)}, f.k, f.opt, "
            f"{summed} {source} GROUP BY f.k, f.opt, GROUPING SETS ({sets})"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = %s", [settings.AGGREGATION_WORK_MEM])
            # Binary results on a server-binding cursor (Django's binds on the client, which
            # allows text only): some 15,000 rows of floats the client need not parse.
            with psycopg.Cursor(cursor.connection) as binary:
                binary.execute(sql, all_params, binary=True)
                return binary.fetchall()
    parts = []
    for cols in SCOPE_COLUMNS.values():
        picked = ", ".join(d if on else "NULL" for d, on in zip(dims, cols, strict=True))
        grouped = ", ".join(["f.k", "f.opt", *(d for d, on in zip(dims, cols, strict=True) if on)])
        parts.append(
            f"SELECT {_grouping_bits(cols)}, {picked}, f.k, f.opt, {summed} {source} "
            f"GROUP BY {grouped}"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes} " + " UNION ALL ".join(parts), all_params)
        return cursor.fetchall()


def _counted_where(alias: str, wave: Wave, cutoff: date) -> tuple[str, list[Any]]:
    """The wave's counted responses. (The wave is named on the responses too: without it, the
    join to the answers hashed every wave's responses.)"""
    statuses = counted_statuses(wave)
    where = (
        f"{alias}.wave_id = %s AND {alias}.status IN ({', '.join(['%s'] * len(statuses))}) "
        f"AND {alias}.invalidated_at IS NULL AND {alias}.submitted_at < %s"
    )
    return where, [wave.pk, *statuses, cutoff_moment(cutoff)]


def _answer_sums(
    wave: Wave,
    cutoff: date,
    weights: dict[tuple[str, ...], float],
    question_ids: list[int],
    multiple_ids: Collection[int] = (),
) -> dict[int, dict[tuple[GroupKey, str], Sums]]:
    """Sums per question and chosen option (the option is '' for numbers) in every scope.

    A multiple-choice answer counts once under '' (who answered the question) and once under
    each option it ticks (who chose it), so its shares need not add up to 100 %. The pass
    groups those answers by the ticked set (its JSON text) and Python unpacks each set: a
    question has a few dozen sets, and a pass of their own that unnested the ticks cost more
    than the rest of the aggregation at 5 M answers."""
    if not question_ids:
        return {}
    cte, cte_params, join, w = _weight_cte(weights)
    counted, counted_params = _counted_where("r", wave, cutoff)
    option = "COALESCE(CAST(a.value_choices AS TEXT), a.value_text)"
    # Only column names and placeholders are interpolated; every value is a parameter.
    inner = (
        f"SELECT a.question_id, {option}, a.company_id, a.channel, "  # noqa: S608
        f"a.score IS NULL, {_sums_sql(w, 'a.score', nps='a.value_number')} "
        f"FROM surveys_answer a JOIN surveys_response r ON r.id = a.response_id{join} "
        f"WHERE a.wave_id = %s AND NOT a.is_na "
        f"AND a.question_id IN ({', '.join(['%s'] * len(question_ids))}) AND {counted} "
        f"GROUP BY a.question_id, {option}, a.company_id, a.channel, a.score IS NULL"
    )
    rows = _rolled_up(
        inner=[inner],
        params=[wave.pk, *question_ids, *counted_params],
        cte=cte,
        cte_params=cte_params,
    )
    result: dict[int, dict[tuple[GroupKey, str], Sums]] = defaultdict(dict)
    ticked_sets: dict[str, list[str]] = {}  # a ticked set's JSON text → its options
    for bits, industry, company, channel, question_id, chosen, *sums in rows:
        key = GroupKey(SCOPE_BY_BITS[bits], industry, company, channel or "")
        if not sums[0] or _empty_dimension(key):
            continue
        groups = result[int(question_id)]
        if question_id not in multiple_ids:
            groups[(key, chosen or "")] = Sums(*sums)
            continue
        found = Sums(*sums)
        if chosen not in ticked_sets:
            ticked_sets[chosen] = _ticked(chosen)
        for name in ["", *ticked_sets[chosen]]:  # who answered, then each ticked option
            before = groups.get((key, name))
            groups[(key, name)] = found if before is None else before.plus(found)
    return result


def _ticked(chosen: str | None) -> list[str]:
    """A multiple-choice answer's options from the pass's grouping value: the JSON array it
    ticked, or a single option kept as text (an answer given before the question allowed
    several; the aggregation must not fail on it)."""
    if not chosen:
        return []
    if not chosen.startswith("["):
        return [chosen]
    return sorted({str(t) for t in json.loads(chosen)})


def _empty_dimension(key: GroupKey) -> bool:
    """A group for "no company" or "no channel" (an unanswered picker) is no scope at all."""
    industry, company, channel = SCOPE_COLUMNS[key.scope]
    return (
        (industry and key.industry is None)
        or (company and key.company is None)
        or (channel and not key.channel)
    )


def _response_sums(
    wave: Wave, cutoff: date, weights: dict[tuple[str, ...], float]
) -> dict[str, dict[GroupKey, Sums]]:
    """A contact's score and each area's score, from the responses themselves."""
    cte, cte_params, join, w = _weight_cte(weights)
    counted, counted_params = _counted_where("r", wave, cutoff)
    if connection.vendor == "postgresql":
        areas = "CROSS JOIN LATERAL jsonb_each_text(r.section_scores) s"
        area_value = "CAST(s.value AS double precision)"
    else:
        areas = ", json_each(r.section_scores) s"
        area_value = "CAST(s.value AS REAL)"
    where = f"WHERE {counted}"
    # Only column names and placeholders are interpolated; every value is a parameter.
    inner = [
        f"SELECT 'score', '', r.company_id, r.channel, FALSE, {_sums_sql(w, 'r.score')} "  # noqa: S608
        f"FROM surveys_response r{join} {where} AND r.score IS NOT NULL "
        "GROUP BY r.company_id, r.channel",
        f"SELECT 'area:' || s.key, '', r.company_id, r.channel, FALSE, "  # noqa: S608
        f"{_sums_sql(w, area_value)} "
        f"FROM surveys_response r {areas}{join} {where} AND s.value IS NOT NULL "
        "GROUP BY s.key, r.company_id, r.channel",
    ]
    rows = _rolled_up(
        inner=inner,
        params=[*counted_params, *counted_params],
        cte=cte,
        cte_params=cte_params,
    )
    result: dict[str, dict[GroupKey, Sums]] = defaultdict(dict)
    for bits, industry, company, channel, name, _option, *sums in rows:
        key = GroupKey(SCOPE_BY_BITS[bits], industry, company, channel or "")
        if sums[0] and not _empty_dimension(key):
            result[str(name)][key] = Sums(*sums)
    return result
