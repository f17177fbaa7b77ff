"""Aggregation: turn a wave's counted responses into a ``ResultSet``.

The database does the heavy part. Two grouped queries ask for sufficient statistics
(n, Σw, Σw², Σwx, Σwx², and weighted counts of NPS promoters and detractors):

- over answers, grouped by question and answered option, for every scope at once, with the
  weight of each option chosen (a multiple-choice answer's ticked set unpacked);
- over responses, for a contact's score and each performance area's score.

On PostgreSQL each is one scan with ``GROUPING SETS``; SQLite, the embedded default, gets the
same numbers through ``UNION ALL`` of plain ``GROUP BY``s. Python then finishes a few thousand
groups with ``surveys.stats``, all intervals of a kind in one call on arrays (means, shares,
NPS), then suppression below the wave's minimum n, shared ranks, statistical ties and the
change against the previous wave's current results.

A run writes its rows into its own ``ResultSet`` and swaps it in as current in one transaction
only at the end, so a failed or killed run leaves the previous one current. Running it again
for the same set starts over (its partial rows are deleted first).
"""

import logging
import operator
import re
import time as time_module
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

import numpy as np
import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kundeservice.caching import visibility_bump
from kundeservice.errors import DomainError
from kundeservice.jobs import job_advance, job_fail, job_finish, job_start
from kundeservice.models import Job, JobStatus
from kundeservice.tasks import enqueue, queue_down_message
from surveys import indicators as conditions
from surveys import stats
from surveys.branching import NA
from surveys.models import (
    Answer,
    IndicatorBase,
    IndustryGroup,
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
from surveys.selectors import indicators_for_wave
from surveys.webhook_events import RESULTS_PUBLISHED
from webhooks.services.events import webhook_event_emit

logger = logging.getLogger(__name__)

AGGREGATION_JOB = "aggregation"
#: The public cache's namespace for results pages (``kundeservice.caching``).
RESULTS_NAMESPACE = "results"
WEIGHT_DIMENSIONS = ("gender", "age_group", "region")
CHOICE_TYPES = {QuestionType.SINGLE_CHOICE, QuestionType.YES_NO, QuestionType.CHANNEL}
MEAN_TYPES = {QuestionType.RATING, QuestionType.NPS}
ROW_BATCH = 2000
STEPS = 5

#: The scopes, as the columns each groups by: (industry, company, channel). A company's scopes
#: group by its industry too (which a company determines), so every row names its industry.
SCOPE_COLUMNS: dict[str, tuple[bool, bool, bool]] = {
    Scope.OVERALL: (False, False, False),
    Scope.INDUSTRY: (True, False, False),
    Scope.COMPANY: (True, True, False),
    Scope.CHANNEL: (False, False, True),
    Scope.COMPANY_CHANNEL: (True, True, True),
    Scope.INDUSTRY_CHANNEL: (True, False, True),
}
#: Option shares are published down to company and industry × channel (and for industry
#: groups). A company × channel cell is small (the index has some 450) and gets means only.
SHARE_SCOPES = [scope for scope in SCOPE_COLUMNS if scope != Scope.COMPANY_CHANNEL]
#: An industry group's figures pool its member industries' sums (a company belongs to one
#: industry, so no response counts twice within a group): the scope each one is pooled from.
POOLED_FROM: dict[str, str] = {
    Scope.INDUSTRY: Scope.GROUP,
    Scope.INDUSTRY_CHANNEL: Scope.GROUP_CHANNEL,
}
CHANNEL_SCOPES = {
    Scope.CHANNEL,
    Scope.COMPANY_CHANNEL,
    Scope.INDUSTRY_CHANNEL,
    Scope.GROUP_CHANNEL,
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


def aggregation_start(
    *, wave: Wave, cutoff: date | None = None, by: Any = None, current: bool = True
) -> ResultSet:
    """Create a result set and its job, and queue the aggregation when the transaction commits.

    ``current=False`` computes a set for a temperature update's cutoff that never replaces what
    the results pages show. A run already under way for the same wave and cutoff is returned
    instead of a second (for ``current=True``, only one that will become current)."""
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
        running_sets = ResultSet.objects.filter(
            wave=wave, cutoff=cutoff, status=ResultSetStatus.RUNNING
        ).exclude(job__status__in=[JobStatus.DONE, JobStatus.FAILED])
        if current:
            running_sets = running_sets.filter(becomes_current=True)
        running = running_sets.select_related("job").first()
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
            wave=wave,
            cutoff=cutoff,
            is_final=cutoff >= wave.ends_on,
            job=job,
            becomes_current=current,
        )
        transaction.on_commit(lambda: _enqueue(aggregate_wave, result_set), robust=True)
    return result_set


def aggregations_redeliver_stalled() -> list[int]:
    """Queue again every running aggregation whose job has not been touched (by its worker's
    heartbeat) for ``AGGREGATION_STALLED_AFTER`` seconds: its worker is gone, and the broker
    would hand the task to another only after its visibility timeout. The job is touched as it
    is queued, so the next sweep waits for the new run. Returns the sets queued."""
    from surveys.tasks import aggregate_wave

    stalled = timezone.now() - timedelta(seconds=settings.AGGREGATION_STALLED_AFTER)
    # Only runs a worker started (job running): one still waiting in the queue behind others
    # has no worker to lose, and queueing it again would only add a copy to the line.
    running = ResultSet.objects.filter(
        status=ResultSetStatus.RUNNING,
        job__status=JobStatus.RUNNING,
        job__updated_at__lt=stalled,
    ).values_list("pk", "job_id")
    redelivered = []
    for result_set_id, job_id in running:
        touched = Job.objects.filter(pk=job_id, updated_at__lt=stalled).update(
            updated_at=timezone.now(),
            message=_("The worker stopped; the aggregation was queued again."),
        )
        if touched and enqueue(aggregate_wave, result_set_id=result_set_id):
            redelivered.append(result_set_id)
    return redelivered


def _give_up(result_set: ResultSet, message: str) -> None:
    """Mark a run failed; a set that completed meanwhile stays complete."""
    ResultSet.objects.filter(pk=result_set.pk, status=ResultSetStatus.RUNNING).update(
        status=ResultSetStatus.FAILED, error=message[:500]
    )
    if result_set.job_id:
        job_fail(job_id=result_set.job_id, message=message)


def _enqueue(task: Any, result_set: ResultSet) -> None:
    """Queue the run; one that cannot be queued fails at once (its progress bar would
    otherwise wait for a worker that never comes), and the previous set stays current."""
    if not enqueue(task, result_set_id=result_set.pk):
        _give_up(result_set, queue_down_message())


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
        wave = Wave.objects.select_for_update().select_related("study").get(pk=result_set.wave_id)
        current = ResultSet.objects.filter(wave_id=result_set.wave_id, is_current=True).first()
        # A run started earlier than the current set's (a retried old run) never replaces it,
        # nor does one computed only for a temperature update.
        takes_over = result_set.becomes_current and (
            current is None or current.started_at <= result_set.started_at
        )
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
            # Public results pages are cached under this version: moving it with the swap means
            # no page shows the old set once the new one is current.
            visibility_bump(RESULTS_NAMESPACE)
            if wave.is_public:
                # New figures on a public wave are published results: receivers hear of them
                # as of the first publication.
                webhook_event_emit(event=RESULTS_PUBLISHED, subject=wave)


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


class Group(NamedTuple):
    """One group's additive sums in one scope, as the database rolled them up: of a question's
    answers (``what`` is its id) or of contacts' scores ("score", "area:<section key>").
    ``_x`` sums are over the values present (an N/A-free answer may still have no score)."""

    scope: str
    industry: int | None
    company: int | None
    channel: str
    what: Any
    n: int
    sw: float
    sw2: float
    n_x: int
    sw_x: float
    sw2_x: float
    swx: float
    swx2: float
    sw_promoters: float
    sw_detractors: float
    industry_group: int | None = None


#: The additive sums of a ``Group``, in order, and the ones a share does not use.
SUM_FIELDS = Group._fields[5:15]
NO_SUMS = (0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _chosen_key(group: Group) -> tuple[Any, ...]:
    """Where a group's chosen options' weights are kept (``chosen``)."""
    return (
        group.scope,
        group.industry,
        group.company,
        group.channel,
        group.what,
        group.industry_group,
    )


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
    industry_group_id: int | None = None


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
    rows: list[Figure] = field(default_factory=list)


def compute_rows(
    *, result_set: ResultSet, progress: Callable[[str], None] = lambda _m: None
) -> tuple[list[Figure], dict[str, Any]]:
    wave = result_set.wave
    cutoff = result_set.cutoff
    # The responses counted are those submitted by now: exports say which, by this moment.
    as_of = timezone.now()
    responses = counted_responses(wave, cutoff)
    weights, weighting = cell_weights(wave=wave, responses=responses)
    progress(_("Weights computed."))
    questions = list(
        Question.objects.filter(questionnaire_id=wave.questionnaire_id)
        .exclude(role__in=[QuestionRole.COMPANY, QuestionRole.SCREENING])
        .filter(
            Q(type__in=MEAN_TYPES | CHOICE_TYPES | {QuestionType.MULTIPLE_CHOICE}) | Q(scored=True)
        )
        .prefetch_related("options")
    )
    comp = Computation(wave=wave, result_set=result_set, minimum_n=wave.minimum_n)
    groups_of = industry_groups_of(wave)
    totals, chosen = _answer_sums(wave, cutoff, weights, questions)
    totals += _pooled(totals, groups_of)
    chosen |= _pooled_chosen(chosen, groups_of)
    progress(_("Answers summed."))
    # Only an observed contact has a score and area scores (a survey's figures are its answers').
    scores = (
        _response_sums(wave, cutoff, weights) if wave.study.kind == StudyKind.OBSERVATION else []
    )
    scores += _pooled(scores, groups_of)
    progress(_("Scores summed."))
    _question_rows(comp, questions, totals, chosen)
    _score_rows(comp, scores)
    _indicator_rows(comp, responses, weights, groups_of)
    _rank(comp)
    _compare_with_previous(comp)
    progress(_("Intervals, ranks and changes computed."))
    if weighting:  # the weighting counted every response, in its cell or outside them
        counted = weighting.get("weighted", 0) + weighting["unweighted"]
    else:
        counted = responses.count()
    return comp.rows, {"responses": counted, "weighting": {**weighting, "as_of": as_of.isoformat()}}


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


class _Described(NamedTuple):
    """What a figure is, apart from its group and numbers."""

    measure: str
    section_id: int | None
    question_id: int | None
    option: str = ""


def _none(values: Any) -> list[float | None]:
    """An array's values as floats, NaN as None (what a missing figure is stored as)."""
    return [None if x != x else x for x in values.tolist()]  # only NaN is unequal to itself


def _add_figures(
    comp: Computation,
    metric: str,
    groups: list[Group],
    described: list[_Described],
    estimates: stats.Estimates,
    ns: list[int],
    *,
    percent: bool = False,
) -> None:
    """One figure per group from estimates computed for all of them at once (arrays)."""
    scale = 100.0 if percent else 1.0
    columns = zip(
        groups,
        described,
        ns,
        estimates.n_eff.tolist(),
        _none(scale * estimates.value),
        _none(scale * estimates.sd),
        _none(scale * estimates.se),
        _none(scale * estimates.ci_low),
        _none(scale * estimates.ci_high),
        strict=True,
    )
    result_set_id, minimum_n = comp.result_set.pk, comp.minimum_n
    comp.rows += [
        Figure(
            result_set_id,
            group.scope,
            what.measure,
            metric,
            group.industry,
            group.company,
            group.channel,
            n,
            n_eff,
            what.section_id,
            what.question_id,
            what.option,
            value,
            sd,
            se,
            low,
            high,
            n < minimum_n,
            industry_group_id=group.industry_group,
        )
        for group, what, n, n_eff, value, sd, se, low, high in columns
    ]


def _add_means(comp: Computation, groups: list[Group], described: list[_Described]) -> None:
    """Means with t-intervals of the values present in each group."""
    estimates = stats.mean_intervals(
        [g.n_x for g in groups],
        [g.sw_x for g in groups],
        [g.sw2_x for g in groups],
        [g.swx for g in groups],
        [g.swx2 for g in groups],
    )
    _add_figures(comp, Metric.MEAN, groups, described, estimates, [g.n_x for g in groups])


@dataclass
class _Batch:
    """Groups waiting for one kind of figure, computed for all of them in one call."""

    groups: list[Group] = field(default_factory=list)
    described: list[_Described] = field(default_factory=list)
    chosen: list[float] = field(default_factory=list)  # a share's Σw over the yeses

    def add(self, group: Group, what: _Described, chosen: float = 0.0) -> None:
        self.groups.append(group)
        self.described.append(what)
        self.chosen.append(chosen)

    def column(self, name: str) -> "np.ndarray":
        return np.array([getattr(g, name) for g in self.groups], dtype=np.float64)


def _question_rows(
    comp: Computation,
    questions: list[Question],
    totals: list[Group],
    chosen: dict[tuple[Any, ...], dict[str, float]],
) -> None:
    """Every question's figures in every scope: means (of scores), NPS, and option shares."""
    by_id = {q.pk: q for q in questions}
    options = _options(questions, chosen)
    means, nps, shares = _Batch(), _Batch(), _Batch()
    for group in totals:
        question = by_id[group.what]
        measure = f"q:{question.key}"
        what = _Described(measure, question.section_id, question.pk)
        if group.n_x and (question.type in MEAN_TYPES or question.scored):
            means.add(group, what)
        if question.type == QuestionType.NPS and group.sw > 0:
            nps.add(group, what)
        if group.sw <= 0 or not _shares_wanted(question, group.scope):
            continue
        picked = chosen.get(_chosen_key(group), {})
        for option in options[question.pk]:
            shares.add(
                group,
                what._replace(measure=f"{measure}={option}", option=option),
                picked.get(option, 0.0),
            )
    _add_means(comp, means.groups, means.described)
    if nps.groups:
        sw = nps.column("sw")
        n_eff = stats.kish_n_effs(sw, nps.column("sw2"))
        estimates = stats.npss(
            nps.column("sw_promoters") / sw * n_eff, nps.column("sw_detractors") / sw * n_eff, n_eff
        )
        ns = [g.n for g in nps.groups]
        _add_figures(comp, Metric.NPS, nps.groups, nps.described, estimates, ns)
    if shares.groups:
        estimates = stats.shares(shares.chosen, shares.column("sw"), shares.column("sw2"))
        ns = [g.n for g in shares.groups]
        _add_figures(
            comp, Metric.SHARE, shares.groups, shares.described, estimates, ns, percent=True
        )


def _options(
    questions: list[Question], chosen: dict[tuple[Any, ...], dict[str, float]]
) -> dict[int, list[str]]:
    """The options each question's shares are given for: its own, else those chosen."""
    seen: dict[int, set[str]] = defaultdict(set)
    for key, picked in chosen.items():
        seen[key[4]].update(picked)
    options = {}
    for question in questions:
        listed = [o.value for o in question.options.all()]
        if question.type not in CHOICE_TYPES and question.type != QuestionType.MULTIPLE_CHOICE:
            listed = []
        elif not listed:
            listed = sorted(o for o in seen[question.pk] if o)
        options[question.pk] = listed
    return options


def _shares_wanted(question: Question, scope: str) -> bool:
    """Option shares are published down to company and industry × channel (``SHARE_SCOPES``);
    and the share choosing each channel, within one channel, is 100 % by definition."""
    if scope not in SHARE_SCOPES and scope not in POOLED_FROM.values():
        return False
    return not (question.role == QuestionRole.CHANNEL and scope in CHANNEL_SCOPES)


def _score_rows(comp: Computation, scores: list[Group]) -> None:
    """An observed contact's score and each performance area's, in every scope."""
    if not scores:
        return
    sections = {
        f"area:{key}": pk
        for key, pk in Section.objects.filter(
            questionnaire_id=comp.wave.questionnaire_id
        ).values_list("key", "pk")
    }
    kept = [g for g in scores if g.what == "score" or g.what in sections]
    _add_means(comp, kept, [_Described(g.what, sections.get(g.what), None) for g in kept])


# --- Industry groups and derived indicators --------------------------------------------------


def industry_groups_of(wave: Wave) -> dict[int, list[int]]:
    """The industry groups the wave publishes, as each member industry's list of groups."""
    members: dict[int, list[int]] = defaultdict(list)
    for group_id, industry_id in IndustryGroup.industries.through.objects.filter(
        industrygroup__waves=wave
    ).values_list("industrygroup_id", "industry_id"):
        members[industry_id].append(group_id)
    return dict(members)


def _pooled(groups: list[Group], groups_of: dict[int, list[int]]) -> list[Group]:
    """Each industry group's sums (and by channel): its member industries' sums added up."""
    pooled: dict[tuple[Any, ...], list[Any]] = {}
    for group in groups:
        target = POOLED_FROM.get(group.scope)
        if target is None or group.industry is None:
            continue
        sums = group[5:15]
        for group_id in groups_of.get(group.industry, ()):
            key = (target, group.channel, group.what, group_id)
            found = pooled.get(key)
            pooled[key] = (
                list(sums) if found is None else [a + b for a, b in zip(found, sums, strict=True)]
            )
    return [
        Group._make([scope, None, None, channel, what, *sums, group_id])
        for (scope, channel, what, group_id), sums in pooled.items()
    ]


def _pooled_chosen(
    chosen: dict[tuple[Any, ...], dict[str, float]], groups_of: dict[int, list[int]]
) -> dict[tuple[Any, ...], dict[str, float]]:
    """Each industry group's weight of every option chosen, pooled like ``_pooled``."""
    pooled: dict[tuple[Any, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (scope, industry, _company, channel, what, _group), picked in chosen.items():
        target = POOLED_FROM.get(scope)
        if target is None or industry is None:
            continue
        for group_id in groups_of.get(industry, ()):
            options = pooled[(target, None, None, channel, what, group_id)]
            for option, weight in picked.items():
                options[option] += weight
    return {key: dict(options) for key, options in pooled.items()}


def _indicator_rows(
    comp: Computation,
    responses: Any,
    weights: dict[tuple[str, ...], float],
    groups_of: dict[int, list[int]],
) -> None:
    """Each derived indicator as a share of its base in every scope: weighted, with a Wilson
    interval on n_eff (as an option's share). The condition is evaluated per response on its
    answers to the questions involved (one query), and the sums rolled up here."""
    indicators = indicators_for_wave(comp.wave)
    if not indicators:
        return
    ids_by_key = dict(
        Question.objects.filter(questionnaire_id=comp.wave.questionnaire_id).values_list(
            "key", "id"
        )
    )
    usable = []
    for indicator in indicators:
        keys = conditions.involved(indicator.condition)
        missing = [k for k in keys if k not in ids_by_key]
        if missing:  # defined for another version of the questionnaire
            logger.warning("indicator %s skipped: no question %s", indicator.key, missing)
            continue
        usable.append((indicator, keys))
    if not usable:
        return
    key_by_id = {ids_by_key[k]: k for _indicator, keys in usable for k in keys}
    answers = _answers_by_response(comp.wave, responses, key_by_id)
    people = responses.values_list(
        "id", "company__industry_id", "company_id", "channel", *WEIGHT_DIMENSIONS
    )
    fine: dict[str, dict[tuple[Any, ...], list[float]]] = {
        indicator.key: defaultdict(lambda: [0, 0.0, 0.0, 0.0]) for indicator, _keys in usable
    }
    for response_id, industry, company, channel, *cell in people.iterator(chunk_size=10_000):
        given = answers.get(response_id, {})
        w = weights.get(tuple(cell), 1.0)
        for indicator, keys in usable:
            if indicator.base == IndicatorBase.ANSWERED and not all(
                given.get(k) not in (None, NA) for k in keys
            ):
                continue
            sums = fine[indicator.key][(industry, company, channel or "")]
            sums[0] += 1
            sums[1] += w
            sums[2] += w * w
            if conditions.holds(indicator.condition, given):
                sums[3] += w
    batch = _Batch()
    for indicator, _keys in usable:
        what = _Described(indicator.measure, None, None)
        for group, chosen in _indicator_groups(indicator.measure, fine[indicator.key], groups_of):
            batch.add(group, what, chosen)
    if batch.groups:
        estimates = stats.shares(batch.chosen, batch.column("sw"), batch.column("sw2"))
        ns = [g.n for g in batch.groups]
        _add_figures(comp, Metric.SHARE, batch.groups, batch.described, estimates, ns, percent=True)


def _answers_by_response(
    wave: Wave, responses: Any, key_by_id: dict[int, str]
) -> dict[int, dict[str, Any]]:
    """Each counted response's answers to the questions given (id → key), as values a
    condition reads: an option code, a number, a list of ticked options, or ``NA``."""
    multiple = set(
        Question.objects.filter(pk__in=key_by_id, type=QuestionType.MULTIPLE_CHOICE).values_list(
            "pk", flat=True
        )
    )
    found: dict[int, dict[str, Any]] = defaultdict(dict)
    rows = Answer.objects.filter(
        wave=wave, question_id__in=list(key_by_id), response__in=responses
    ).values_list(
        "response_id", "question_id", "is_na", "value_choices", "value_number", "value_text"
    )
    for response_id, question_id, is_na, choices, number, text in rows.iterator(chunk_size=10_000):
        value: Any
        if is_na:
            value = NA
        elif choices is not None:
            value = choices
        elif number is not None:
            value = number
        else:  # a multiple-choice answer given before the question allowed several: one option
            value = [text] if question_id in multiple else text
        found[response_id][key_by_id[question_id]] = value
    return found


def _indicator_groups(
    measure: str, fine: dict[tuple[Any, ...], list[float]], groups_of: dict[int, list[int]]
) -> list[tuple[Group, float]]:
    """The sums (n, Σw, Σw², Σw of those meeting the condition) by (industry, company, channel)
    rolled up to every scope, as groups with the weight that met the condition."""
    rolled: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])

    def add(key: tuple[Any, ...], sums: list[float]) -> None:
        total = rolled[key]
        for i, value in enumerate(sums):
            total[i] += value

    for (industry, company, channel), sums in fine.items():
        for scope, (by_industry, by_company, by_channel) in SCOPE_COLUMNS.items():
            if (by_industry and industry is None) or (by_company and company is None):
                continue
            if by_channel and not channel:
                continue
            key = (
                scope,
                industry if by_industry else None,
                company if by_company else None,
                channel if by_channel else "",
                None,
            )
            add(key, sums)
        for group_id in groups_of.get(industry, ()) if industry is not None else ():
            add((Scope.GROUP, None, None, "", group_id), sums)
            if channel:
                add((Scope.GROUP_CHANNEL, None, None, channel, group_id), sums)
    return [
        (
            # Only n, Σw and Σw² are a share's base; the other sums are the mean's.
            Group(scope, industry, company, channel, measure, int(n), sw, sw2, *NO_SUMS, group_id),
            chosen,
        )
        for (scope, industry, company, channel, group_id), (n, sw, sw2, chosen) in rolled.items()
        if n
    ]


def _rank(comp: Computation) -> None:
    """Companies ranked within their industry, and company × channel within the channel, on
    the headline measure; suppressed rows get no rank. Industry groups are not ranked: there
    are a handful, they may overlap, and each is read against its own previous figure."""
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
    return (
        row.scope,
        row.industry_id,
        row.company_id,
        row.industry_group_id,
        row.channel,
        row.measure,
        row.metric,
    )


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
        # What the export's codebook says about how the weights were made, and each cell's
        # weight as used here, so an export carries exactly these weights later.
        "targets": {d: margins[d] for d in dims},
        "trim": [wave.weight_trim_min, wave.weight_trim_max],
        "cells": [[*cell, n, w] for (cell, n), w in zip(complete, cell_weights_found, strict=True)],
    }
    return weights, summary


# --- SQL ------------------------------------------------------------------------------------
#
# Two stages. The inner query makes one pass over the counted answers (or responses), grouped by
# the finest keys any scope needs: (what, option, company, channel), with weighted sums. Sums add
# up, so the outer query rolls those few thousand rows up to every scope at once: GROUPING SETS
# on PostgreSQL, a UNION ALL of GROUP BYs over the materialised inner rows on SQLite. The pass
# over the answers costs 2–2.5× a bare GROUP BY of them (bench/RESULTS.md): the join to the
# responses (which answers count, each one's weighting cell), the option as a fourth key and
# ten weighted sums instead of three. The outer query also rolls up
# each option's weight, from the inner rows of choice questions, with a multiple-choice
# answer's ticked set unpacked into its options (a few thousand rows: cheap there, where
# unpacking in the pass itself cost PostgreSQL its parallel plan).

#: The inner query's sums, in ``Group`` order after its keys.
INNER_COLUMNS = (
    "n",
    "sw",
    "sw2",
    "n_x",
    "sw_x",
    "sw2_x",
    "swx",
    "swx2",
    "prom",
    "det",
)
#: The rolled-up sums (SQLite's SUM over no rows is NULL).
SUMMED = ", ".join(
    f"CAST(COALESCE(SUM(f.{c}), 0) AS BIGINT)" if c.startswith("n") else f"COALESCE(SUM(f.{c}), 0)"
    for c in INNER_COLUMNS
)
DIMENSIONS = ("c.industry_id", "f.company_id", "f.channel")


def _weight_cte(weights: dict[tuple[str, ...], float]) -> tuple[str, list[Any], str, str]:
    """A ``cw`` CTE of cell weights, its join to the responses ``r`` and the weight
    expression."""
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
    present = f"FILTER (WHERE {value} IS NOT NULL)"
    promoters = f"SUM({w}) FILTER (WHERE {nps} >= 9)" if nps else "0"
    detractors = f"SUM({w}) FILTER (WHERE {nps} <= 6)" if nps else "0"
    return (
        f"COUNT(*), SUM({w}), SUM({w} * {w}), COUNT({value}), SUM({w}) {present}, "
        f"SUM({w} * {w}) {present}, SUM({w} * {value}), SUM({w} * {value} * {value}), "
        f"{promoters}, {detractors}"
    )


def _in(column: str, values: Collection[Any]) -> tuple[str, list[Any]]:
    if not values:
        return "FALSE", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _ticked_options(source: str) -> str:
    """A FROM clause pairing each inner row of ``source`` with each option its ticked set
    (``opt``: a JSON array, or one option kept as text by an answer given before the question
    allowed several) holds, as ``t.value``."""
    if connection.vendor == "postgresql":
        return (
            f"{source} f CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN left(f.opt, 1) "
            "= '[' THEN CAST(f.opt AS jsonb) ELSE jsonb_build_array(f.opt) END) AS t(value)"
        )
    return (
        f"{source} f, json_each(CASE WHEN substr(f.opt, 1, 1) = '[' THEN f.opt "
        "ELSE json_array(f.opt) END) t"
    )


def _rolled_up(
    *,
    inner: list[str],
    params: list[Any],
    cte: str,
    cte_params: list[Any],
    single: Collection[int] = (),
    multiple: Collection[int] = (),
) -> list[tuple[Any, ...]]:
    """Every scope's sums from the inner queries' rows (key, option, company, channel, sums…),
    which name only columns and placeholders (every value is a parameter),
    and each chosen option's weight in the scopes that publish shares, for the questions in
    ``single`` (one option each) and ``multiple`` (a ticked set each).

    Rows are (part, scope bits, industry, company, channel, key, option, *sums): part 0 holds
    the groups' sums (option ''), part 1 an option's n and Σw (the other sums 0)."""
    fine = f"fine(k, opt, company_id, channel, {', '.join(INNER_COLUMNS)}) AS ("
    fine += " UNION ALL ".join(inner) + ")"
    ctes = [x for x in (cte, fine) if x]
    picks = []
    single_in, single_params = _in("f.k", single)
    multiple_in, multiple_params = _in("f.k", multiple)
    if single or multiple:
        # A ticked set's options (``clean`` stores each option once).
        ctes.append(
            "picked(k, opt, company_id, channel, n, sw) AS ("  # noqa: S608
            f"SELECT f.k, f.opt, f.company_id, f.channel, f.n, f.sw FROM fine f WHERE {single_in}"
            " UNION ALL SELECT f.k, CAST(t.value AS TEXT), f.company_id, f.channel, f.n, f.sw "
            f"FROM {_ticked_options('fine')} WHERE {multiple_in} AND f.opt <> '')"
        )
        picks = [SCOPE_COLUMNS[scope] for scope in SHARE_SCOPES]
    zeros = ", ".join(["0"] * (len(INNER_COLUMNS) - 2))
    option_sums = f"CAST(SUM(f.n) AS BIGINT), SUM(f.sw), {zeros}"
    all_params = cte_params + params + single_params + multiple_params
    company = "LEFT JOIN surveys_company c ON c.id = f.company_id"
    if connection.vendor == "postgresql":

        def sets(scopes: list[tuple[bool, bool, bool]]) -> str:
            return ", ".join(
                "(" + ", ".join(d for d, on in zip(DIMENSIONS, cols, strict=True) if on) + ")"
                for cols in scopes
            )

        # A group of "no company" or "no channel" (an unanswered picker) is no scope at all.
        present = (
            " AND ".join(f"(GROUPING({d}) = 1 OR {d} IS NOT NULL)" for d in DIMENSIONS[:2])
            + " AND (GROUPING(f.channel) = 1 OR f.channel <> '')"
        )
        grouping = f"GROUPING({', '.join(DIMENSIONS)}), {', '.join(DIMENSIONS)}"
        sql = (
            f"WITH {', '.join(ctes)} SELECT 0, {grouping}, f.k, '', {SUMMED} "  # noqa: S608
            f"FROM fine f {company} GROUP BY f.k, GROUPING SETS "
            f"({sets(list(SCOPE_COLUMNS.values()))}) HAVING {present}"
        )
        if picks:
            sql += (
                f" UNION ALL SELECT 1, {grouping}, f.k, f.opt, {option_sums} "  # noqa: S608
                f"FROM picked f {company} GROUP BY f.k, f.opt, GROUPING SETS ({sets(picks)}) "
                f"HAVING {present}"
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = %s", [settings.AGGREGATION_WORK_MEM])
            # Binary results on a server-binding cursor (Django's binds on the client, which
            # allows text only): some 15,000 rows of floats the client need not parse.
            with psycopg.Cursor(cursor.connection) as binary:
                binary.execute(sql, all_params, binary=True)
                return binary.fetchall()
    parts = []
    for part, source, option, summed, scopes in [
        (0, "fine", "''", SUMMED, list(SCOPE_COLUMNS.values())),
        (1, "picked", "f.opt", option_sums, picks),
    ]:
        for cols in scopes:
            picked = ", ".join(d if on else "NULL" for d, on in zip(DIMENSIONS, cols, strict=True))
            keys = [
                "f.k",
                *(["f.opt"] if part else []),
                *(d for d, on in zip(DIMENSIONS, cols, strict=True) if on),
            ]
            present = " AND ".join(
                ["1 = 1"]
                + [f"{d} IS NOT NULL" for d, on in zip(DIMENSIONS[:2], cols[:2], strict=True) if on]
                + (["f.channel <> ''"] if cols[2] else [])
            )
            parts.append(
                f"SELECT {part}, {_grouping_bits(cols)}, {picked}, f.k, {option}, {summed} "  # noqa: S608
                f"FROM {source} f {company} WHERE {present} GROUP BY {', '.join(keys)}"
            )
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} " + " UNION ALL ".join(parts), all_params)
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


def _groups(
    rows: list[tuple[Any, ...]],
) -> tuple[list[Group], dict[tuple[Any, ...], dict[str, float]]]:
    """The rolled-up rows as groups, and each option's Σw by (scope, industry, company,
    channel, key)."""
    groups: list[Group] = []
    chosen: dict[tuple[Any, ...], dict[str, float]] = defaultdict(dict)
    for part, bits, industry, company, channel, what, option, *sums in rows:
        if not sums[0]:
            continue
        scope = SCOPE_BY_BITS[bits]
        if part:
            chosen[(scope, industry, company, channel or "", what, None)][option] = sums[1]
        else:
            groups.append(Group(scope, industry, company, channel or "", what, *sums))
    return groups, chosen


def _answer_sums(
    wave: Wave,
    cutoff: date,
    weights: dict[tuple[str, ...], float],
    questions: list[Question],
) -> tuple[list[Group], dict[tuple[Any, ...], dict[str, float]]]:
    """Each question's sums in every scope (``what`` its id), and the Σw of each option chosen.

    A multiple-choice answer counts once in its question's group (who answered the question)
    and once under each option it ticks (who chose it), so its shares need not add up to
    100 %. The pass groups those answers by the ticked set (its JSON text); the roll-up
    unpacks each set."""
    if not questions:
        return [], {}
    cte, cte_params, join, w = _weight_cte(weights)
    counted, counted_params = _counted_where("r", wave, cutoff)
    option = "COALESCE(CAST(a.value_choices AS TEXT), a.value_text)"
    question_in, question_params = _in("a.question_id", [q.pk for q in questions])
    # Only column names and placeholders are interpolated; every value is a parameter.
    inner = (
        f"SELECT a.question_id, {option}, a.company_id, a.channel, "  # noqa: S608
        f"{_sums_sql(w, 'a.score', nps='a.value_number')} "
        f"FROM surveys_answer a JOIN surveys_response r ON r.id = a.response_id{join} "
        f"WHERE a.wave_id = %s AND NOT a.is_na AND {question_in} AND {counted} "
        f"GROUP BY a.question_id, {option}, a.company_id, a.channel"
    )
    rows = _rolled_up(
        inner=[inner],
        params=[wave.pk, *question_params, *counted_params],
        cte=cte,
        cte_params=cte_params,
        single=[q.pk for q in questions if q.type in CHOICE_TYPES],
        multiple=[q.pk for q in questions if q.type == QuestionType.MULTIPLE_CHOICE],
    )
    return _groups(rows)


def _response_sums(wave: Wave, cutoff: date, weights: dict[tuple[str, ...], float]) -> list[Group]:
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
        f"SELECT 'score', '', r.company_id, r.channel, {_sums_sql(w, 'r.score')} "  # noqa: S608
        f"FROM surveys_response r{join} {where} AND r.score IS NOT NULL "
        "GROUP BY r.company_id, r.channel",
        f"SELECT 'area:' || s.key, '', r.company_id, r.channel, "  # noqa: S608
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
    return _groups(rows)[0]
