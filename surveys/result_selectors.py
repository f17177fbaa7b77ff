"""Reads of published results, shared by the public pages, the API and the award app.

The public only ever sees a wave's *current* result set, and only once the wave's results are
public; staff who run results may preview the rest. Suppressed rows (fewer answers than the
wave's minimum n) are returned so pages can say so, but their figures never leave here: callers
get ``None`` for them through ``public_value``.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from surveys import stats
from surveys.models import (
    Channel,
    FormerCompanySlug,
    Indicator,
    IndicatorBase,
    Industry,
    IndustryGroup,
    Option,
    Question,
    QuestionRole,
    QuestionType,
    ResultRow,
    ResultSet,
    Scope,
    Section,
    StudyKind,
    Wave,
)
from surveys.models.results import Metric
from surveys.selectors import indicators_for_wave

#: Channel slugs in bokmål URLs; English URLs use the channel codes. Both are accepted.
CHANNEL_SLUGS_NB = {
    "phone": "telefon",
    "chat": "chat",
    "chatbot": "chatbot",
    "email": "e-post",
    "contact_form": "kontaktskjema",
    "social": "sosiale-medier",
    "self_service": "selvbetjening",
}
CHANNEL_BY_SLUG = {slug: code for code, slug in CHANNEL_SLUGS_NB.items()} | {
    code: code for code in Channel.values
}


def channel_slug(channel: str) -> str:
    if (get_language() or "nb").startswith("en"):
        return channel
    return CHANNEL_SLUGS_NB.get(channel, channel)


def channel_label(channel: str) -> str:
    return str(Channel(channel).label) if channel in Channel.values else channel


@dataclass(frozen=True)
class KeyMeasure:
    measure: str
    metric: str


@dataclass
class Published:
    """A wave's current result set as the public sees it, and what its figures mean."""

    wave: Wave
    result_set: ResultSet
    headline: str | None
    labels: dict[str, str]
    key_measures: list[KeyMeasure]
    channel_question: str | None
    indicators: list[Indicator] = field(default_factory=list)

    @property
    def headline_label(self) -> str:
        return self.labels.get(self.headline or "", "")

    @property
    def is_observation(self) -> bool:
        return self.wave.study.kind == StudyKind.OBSERVATION

    def base(self, measure: str) -> str:
        """Who a figure of ``measure`` is counted over, in words (every figure says it)."""
        if measure == "score" or measure.startswith("area:"):
            return _("all contacts (one never answered counts as 0)")
        if measure.startswith("ind:"):
            found = next((i for i in self.indicators if i.measure == measure), None)
            if found is not None and found.base == IndicatorBase.COUNTED:
                return _("all counted responses")
            return _("those who answered every question involved")
        if self.is_observation:
            return _("answered contacts where the question applied")
        return _("respondents who answered the question")


def published_sets() -> QuerySet[ResultSet]:
    """Current result sets of waves whose results are public, newest wave first."""
    return (
        ResultSet.objects.filter(is_current=True, wave__is_public=True)
        .select_related("wave__study")
        .order_by("-wave__starts_on", "wave__name")
    )


def current_company_slug(former: str) -> str | None:
    """The slug a company has now that once had ``former`` (links from before it changed)."""
    return (
        FormerCompanySlug.objects.filter(slug=former)
        .values_list("company__slug", flat=True)
        .first()
    )


def public_result_set_id(*, study: str, wave: str) -> int | None:
    """The id of the wave's current result set if the public may see it, else None: the check
    every public request makes, cache hits included (one indexed query)."""
    return (
        ResultSet.objects.filter(
            is_current=True, wave__study__slug=study, wave__slug=wave, wave__is_public=True
        )
        .values_list("pk", flat=True)
        .first()
    )


def published(*, study: str, wave: str, preview: bool = False) -> Published | None:
    """The wave's current results, or None when there are none the reader may see."""
    sets = ResultSet.objects.filter(is_current=True, wave__study__slug=study, wave__slug=wave)
    if not preview:
        sets = sets.filter(wave__is_public=True)
    result_set = sets.select_related("wave__study", "wave__previous", "wave__questionnaire").first()
    if result_set is None:
        return None
    return _described(result_set, result_set.wave)


def describe_set(result_set: ResultSet) -> Published:
    """What a result set's figures mean (labels, bases), for readers who hold the set already
    (the API checks visibility itself)."""
    wave = Wave.objects.select_related("study", "questionnaire").get(pk=result_set.wave_id)
    return _described(result_set, wave)


def _described(result_set: ResultSet, wave: Wave) -> Published:
    questions = list(
        Question.objects.filter(questionnaire_id=wave.questionnaire_id).only(
            "id", "key", "role", "type", "text", "text_en", "section_id", "position"
        )
    )
    indicators = indicators_for_wave(wave)
    labels = _labels(wave, questions)
    labels.update({i.measure: i.display_name for i in indicators})
    return Published(
        wave=wave,
        result_set=result_set,
        headline=_headline(wave, questions),
        labels=labels,
        key_measures=_key_measures(wave, questions),
        channel_question=next(
            (f"q:{q.key}" for q in questions if q.role == QuestionRole.CHANNEL), None
        ),
        indicators=indicators,
    )


def _headline(wave: Wave, questions: list[Question]) -> str | None:
    if wave.study.kind == StudyKind.OBSERVATION:
        return "score"
    key = next((q.key for q in questions if q.role == QuestionRole.SATISFACTION), None)
    return f"q:{key}" if key else None


def _key_measures(wave: Wave, questions: list[Question]) -> list[KeyMeasure]:
    """The overview's key figures: the headline, then what the roles say is worth showing."""
    measures = []
    if wave.study.kind == StudyKind.OBSERVATION:
        measures.append(KeyMeasure("score", Metric.MEAN))
    by_role = {q.role: q for q in reversed(questions) if q.role}
    wanted = [
        (QuestionRole.SATISFACTION, "", Metric.MEAN),
        (QuestionRole.NPS, "", Metric.NPS),
        (QuestionRole.RESOLVED, "=yes", Metric.SHARE),
        (QuestionRole.MUST_CONTACT_AGAIN, "=no", Metric.SHARE),
        (QuestionRole.CONTACTED_BEFORE, "=no", Metric.SHARE),
    ]
    for role, suffix, metric in wanted:
        question = by_role.get(role)
        if question is not None:
            measures.append(KeyMeasure(f"q:{question.key}{suffix}", metric))
    return measures


def _labels(wave: Wave, questions: list[Question]) -> dict[str, str]:
    """What each measure is called, in the active language (two queries)."""
    labels = {"score": _("Score (0–100)")}
    for section in Section.objects.filter(questionnaire_id=wave.questionnaire_id):
        labels[f"area:{section.key}"] = section.display_title
    by_id = {q.pk: q for q in questions}
    for q in questions:
        labels[f"q:{q.key}"] = q.display_text
        if q.type == QuestionType.CHANNEL:  # its answers are the channels themselves
            for channel in Channel:
                labels[f"q:{q.key}={channel.value}"] = _share_label(q, str(channel.label))
    options = Option.objects.filter(question__questionnaire_id=wave.questionnaire_id).only(
        "question_id", "value", "label", "label_en"
    )
    for option in options:
        question = by_id.get(option.question_id)
        if question is not None:
            labels[f"q:{question.key}={option.value}"] = _share_label(
                question, option.display_label
            )
    return labels


def _share_label(question: Question, option: str) -> str:
    """A share row names its question and its answer ("Ble saken løst? – Ja"): in a table of
    a company's figures, a bare "Ja" could answer any question."""
    return f"{question.display_text} – {option}"


def rows(
    published: Published,
    *,
    scope: str | tuple[str, ...],
    measure: str | None = None,
    measures: Iterable[str] | None = None,
    measure_prefix: str | tuple[str, ...] | None = None,
    metric: str | None = None,
    industry: int | None = None,
    company: int | None = None,
    channel: str | None = None,
    group: int | None = None,
) -> list[ResultRow]:
    """Rows of the published set in one scope (or several), with company, industry and group
    (one query). ``measure_prefix`` may name several prefixes, any of which matches."""
    scopes = (scope,) if isinstance(scope, str) else scope
    qs = published.result_set.rows.filter(scope__in=scopes).select_related(
        "company", "industry", "industry_group"
    )
    if measure is not None:
        qs = qs.filter(measure=measure)
    if measures is not None:
        qs = qs.filter(measure__in=list(measures))
    if measure_prefix is not None:
        prefixes = (measure_prefix,) if isinstance(measure_prefix, str) else measure_prefix
        matches = Q()
        for prefix in prefixes:
            matches |= Q(measure__startswith=prefix)
        qs = qs.filter(matches)
    if metric is not None:
        qs = qs.filter(metric=metric)
    if industry is not None:
        qs = qs.filter(industry_id=industry)
    if company is not None:
        qs = qs.filter(company_id=company)
    if channel is not None:
        qs = qs.filter(channel=channel)
    if group is not None:
        qs = qs.filter(industry_group_id=group)
    return list(qs.order_by("id"))


def ranked(found: list[ResultRow]) -> list[ResultRow]:
    """A league table's order: by rank, then unranked by value; suppressed rows last."""
    return sorted(
        found,
        key=lambda r: (
            r.suppressed,
            r.rank if r.rank is not None else 10**6,
            -(r.value or 0.0),
            r.company.name if r.company else "",
        ),
    )


TOP_PER_INDUSTRY = 3


@dataclass
class WaveOverview:
    key_rows: list[ResultRow]
    industries: list[ResultRow]  # the headline per industry, in the industries' order
    top: list[tuple[ResultRow, list[ResultRow]]]  # each industry row with its top companies
    channels: list[ResultRow]  # the headline per channel, best first
    areas: list[ResultRow]
    channel_share: list[ResultRow]  # the channel of last contact by industry
    groups: list[ResultRow] = field(default_factory=list)  # the headline per industry group
    indicators: list[ResultRow] = field(default_factory=list)  # derived indicators, overall


def wave_overview(published: Published) -> WaveOverview:
    """What a wave's overview page shows (six queries)."""
    headline = published.headline or ""
    key_rows = key_figures(
        published,
        rows(published, scope=Scope.OVERALL, measures=[k.measure for k in published.key_measures]),
    )
    by_industry = rows(
        published, scope=(Scope.INDUSTRY, Scope.GROUP), measure=headline, metric=Metric.MEAN
    )
    industries = sorted(
        (r for r in by_industry if r.scope == Scope.INDUSTRY),
        key=lambda r: (r.industry.position, r.industry.name) if r.industry else (0, ""),
    )
    areas_and_indicators = rows(published, scope=Scope.OVERALL, measure_prefix=("area:", "ind:"))
    companies = rows(published, scope=Scope.COMPANY, measure=headline, metric=Metric.MEAN)
    top: dict[int | None, list[ResultRow]] = defaultdict(list)
    for row in ranked(companies):
        if row.rank is not None and row.rank <= TOP_PER_INDUSTRY and not row.suppressed:
            top[row.industry_id].append(row)
    channel_share = []
    if published.channel_question:
        channel_share = rows(
            published,
            scope=Scope.INDUSTRY,
            measure_prefix=published.channel_question + "=",
            metric=Metric.SHARE,
        )
    return WaveOverview(
        key_rows=key_rows,
        industries=industries,
        top=[(r, top.get(r.industry_id, [])) for r in industries],
        channels=sorted(
            rows(published, scope=Scope.CHANNEL, measure=headline, metric=Metric.MEAN),
            key=lambda r: -(r.value or 0),
        ),
        areas=[r for r in areas_and_indicators if r.measure.startswith("area:")],
        channel_share=channel_share,
        groups=sorted(
            (r for r in by_industry if r.scope == Scope.GROUP and r.industry_group),
            key=lambda r: (r.industry_group.position, r.industry_group.name),
        ),
        indicators=[r for r in areas_and_indicators if r.measure.startswith("ind:")],
    )


@dataclass
class FrontPageStudy:
    """A study's latest published wave as the home page shows it."""

    published: Published
    key_rows: list[ResultRow]  # the headline figures, each with n and interval
    industries: list[ResultRow]  # the headline per industry
    channels: list[ResultRow]  # the headline per channel, best first


def front_page() -> list[FrontPageStudy]:
    """The latest published wave of each study, newest first, with its headline figures, its
    industries and its channels (four queries a study, one more in all)."""
    latest: dict[int, ResultSet] = {}
    for result_set in published_sets():
        latest.setdefault(result_set.wave.study_id, result_set)
    studies = []
    for result_set in latest.values():
        published = _described(result_set, result_set.wave)
        headline = published.headline or ""
        key_rows = key_figures(
            published,
            rows(
                published,
                scope=Scope.OVERALL,
                measures=[k.measure for k in published.key_measures],
            ),
        )
        by_scope = rows(
            published, scope=(Scope.INDUSTRY, Scope.CHANNEL), measure=headline, metric=Metric.MEAN
        )
        studies.append(
            FrontPageStudy(
                published=published,
                key_rows=key_rows,
                industries=sorted(
                    (r for r in by_scope if r.scope == Scope.INDUSTRY and r.industry),
                    key=lambda r: (r.industry.position, r.industry.name),
                ),
                channels=sorted(
                    (r for r in by_scope if r.scope == Scope.CHANNEL),
                    key=lambda r: -(r.value or 0),
                ),
            )
        )
    return studies


@dataclass
class GroupPage:
    group: IndustryGroup
    main: ResultRow | None  # the headline
    key_rows: list[ResultRow]
    channels: list[ResultRow]  # the headline per channel
    industries: list[ResultRow]  # the headline of each member industry
    companies: list[ResultRow]  # member industries' companies, best first
    channel_share: list[ResultRow]  # the channel of last contact
    indicators: list[ResultRow]


def group_page(published: Published, *, slug: str) -> GroupPage | None:
    """An industry group's page: None when the group has no figures in this set."""
    group = IndustryGroup.objects.filter(slug=slug).prefetch_related("industries").first()
    if group is None:
        return None
    found = rows(published, scope=Scope.GROUP, group=group.pk)
    if not found:
        return None
    headline = published.headline or ""
    members = [i.pk for i in group.industries.all()]
    main = next((r for r in found if r.measure == headline and r.metric == Metric.MEAN), None)
    key = {k.measure for k in published.key_measures}
    channel_prefix = (published.channel_question or "") + "="
    companies = list(
        published.result_set.rows.filter(
            scope=Scope.COMPANY, measure=headline, metric=Metric.MEAN, industry_id__in=members
        ).select_related("company", "industry")
    )
    return GroupPage(
        group=group,
        main=main,
        key_rows=key_figures(published, [r for r in found if r.measure in key]),
        channels=sorted(
            rows(
                published,
                scope=Scope.GROUP_CHANNEL,
                group=group.pk,
                measure=headline,
                metric=Metric.MEAN,
            ),
            key=lambda r: -(r.value or 0),
        ),
        industries=[
            r
            for r in rows(published, scope=Scope.INDUSTRY, measure=headline, metric=Metric.MEAN)
            if r.industry_id in members
        ],
        companies=sorted(companies, key=lambda r: (r.suppressed, -(r.value or 0))),
        channel_share=[
            r for r in found if published.channel_question and r.measure.startswith(channel_prefix)
        ],
        indicators=[r for r in found if r.measure.startswith("ind:")],
    )


def groups_of_industry(published: Published, *, industry_id: int) -> list[IndustryGroup]:
    """The industry groups this wave publishes that the industry belongs to (for links)."""
    return list(
        published.wave.industry_groups.filter(industries=industry_id).order_by("position", "name")
    )


def share_matrix(found: list[ResultRow], prefix: str) -> dict[str, Any]:
    """Industry × option shares: options in a stable order, a row per industry."""
    options: list[str] = []
    table: dict[int | None, dict[str, ResultRow]] = defaultdict(dict)
    industries: dict[int | None, Any] = {}
    for row in found:
        option = row.measure.removeprefix(prefix + "=")
        if option not in options:
            options.append(option)
        table[row.industry_id][option] = row
        industries[row.industry_id] = row.industry
    ordered = sorted(industries.values(), key=lambda i: (i.position, i.name))
    labelled = [(o, channel_label(o)) for o in options]
    return {
        "options": labelled,
        "rows": [(i, [table[i.pk].get(o) for o in options]) for i in ordered],
        # Each cell with its column's name, for tables that stack on a phone.
        "labelled_rows": [
            (i, [(label, table[i.pk].get(o)) for o, label in labelled]) for i in ordered
        ],
    }


def key_figures(published: Published, found: list[ResultRow]) -> list[ResultRow]:
    """Rows in the order of the wave's key measures."""
    by_measure = {(r.measure, r.metric): r for r in found}
    return [
        by_measure[(k.measure, k.metric)]
        for k in published.key_measures
        if (k.measure, k.metric) in by_measure
    ]


def company_history(*, published: Published, company_id: int) -> list[ResultRow]:
    """The company's headline across the study's public waves, oldest first (one query)."""
    if published.headline is None:
        return []
    wave = published.wave
    return list(
        ResultRow.objects.filter(
            Q(result_set__wave__is_public=True) | Q(result_set=published.result_set),
            result_set__is_current=True,
            result_set__wave__study_id=wave.study_id,
            scope=Scope.COMPANY,
            company_id=company_id,
            measure=published.headline,
            metric=Metric.MEAN,
        )
        .select_related("result_set__wave")
        .order_by("result_set__wave__starts_on")
    )


#: A published figure's fields, as the API and the downloads name them.
FIGURE_FIELDS = (
    "n",
    "n_eff",
    "value",
    "ci_low",
    "ci_high",
    "rank",
    "statistically_tied",
    "previous_value",
    "change",
    "change_low",
    "change_high",
    "significant",
    "suppressed",
)


def public_value(row: ResultRow) -> dict[str, Any]:
    """A row's published figures: suppressed rows carry n and nothing else."""
    hidden = row.suppressed
    return {
        "n": row.n,
        "n_eff": None if hidden else row.n_eff,
        "value": None if hidden else row.value,
        "ci_low": None if hidden else row.ci_low,
        "ci_high": None if hidden else row.ci_high,
        "rank": None if hidden else row.rank,
        "statistically_tied": False if hidden else row.tied,
        "previous_value": None if hidden else row.previous_value,
        "change": None if hidden else row.change,
        "change_low": None if hidden else row.change_low,
        "change_high": None if hidden else row.change_high,
        "significant": False if hidden else row.significant,
        "suppressed": hidden,
    }


# --- For the award (awards reads results only through these) -------------------------------

#: The ranking rules the published results use: equal rounded figures share a rank, and a
#: leader whose interval overlaps another's is statistically tied with it.
competition_ranks = stats.competition_ranks
intervals_overlap = stats.statistically_tied

#: An award scope as the results' scope: companies within an industry or within all
#: industries are company rows; within a channel, company × channel rows.
AWARD_SCOPES = {"industry": Scope.COMPANY, "all": Scope.COMPANY, "channel": Scope.COMPANY_CHANNEL}


@dataclass
class League:
    """A published wave's company figures of one measure and metric, as an award reads them."""

    result_set: ResultSet
    minimum_n: int
    rows: list[ResultRow]  # suppressed ones included, each with its company

    @property
    def decimals(self) -> int:
        return 0 if self.rows and self.rows[0].metric == Metric.NPS else 1


def award_league(
    *,
    wave_id: int,
    measure: str,
    metric: str,
    scope: str,
    industry_id: int | None = None,
    channel: str = "",
) -> League | None:
    """The companies' figures in the wave's *current published* result set (None when the
    wave has no public results), within an industry, all industries or a channel."""
    result_set = (
        ResultSet.objects.filter(wave_id=wave_id, is_current=True, wave__is_public=True)
        .select_related("wave")
        .first()
    )
    if result_set is None:
        return None
    found = result_set.rows.filter(
        scope=AWARD_SCOPES[scope], measure=measure, metric=metric
    ).select_related("company")
    if scope == "industry" and industry_id is not None:
        found = found.filter(industry_id=industry_id)
    if scope == "channel":
        found = found.filter(channel=channel)
    return League(
        result_set=result_set, minimum_n=result_set.wave.minimum_n, rows=list(found.order_by("id"))
    )


def award_values(
    *,
    result_set: ResultSet,
    measure: str,
    scope: str,
    company_ids: Iterable[int],
    channel: str = "",
) -> dict[int, ResultRow]:
    """Another measure's rows for the same companies in the same set (a tie-break's figures),
    by company; any metric, the first found (a measure has one figure per scope)."""
    found = result_set.rows.filter(
        scope=AWARD_SCOPES[scope], measure=measure, company_id__in=list(company_ids)
    )
    if scope == "channel":
        found = found.filter(channel=channel)
    return {row.company_id: row for row in found.order_by("id") if row.company_id}


@dataclass(frozen=True)
class MeasureChoice:
    measure: str
    metric: str
    label: str
    kind: str  # score, area, question_mean, question_share, nps, indicator


def award_measures(*, wave_id: int) -> list[MeasureChoice]:
    """What a category may rank a wave's companies on: the measures its results publish for
    companies, with their labels (three queries)."""
    wave = Wave.objects.select_related("study", "questionnaire").get(pk=wave_id)
    questions = list(Question.objects.filter(questionnaire_id=wave.questionnaire_id))
    labels = _labels(wave, questions)
    indicators = indicators_for_wave(wave)
    labels.update({i.measure: i.display_name for i in indicators})
    current = ResultSet.objects.filter(wave=wave, is_current=True).first()
    if current is None:
        return []
    published = (
        current.rows.filter(scope=Scope.COMPANY)
        .values_list("measure", "metric")
        .distinct()
        .order_by("measure", "metric")
    )
    choices = []
    for measure, metric in published:
        if measure == "score":
            kind = "score"
        elif measure.startswith("area:"):
            kind = "area"
        elif measure.startswith("ind:"):
            kind = "indicator"
        elif metric == Metric.NPS:
            kind = "nps"
        elif metric == Metric.SHARE:
            kind = "question_share"
        else:
            kind = "question_mean"
        choices.append(MeasureChoice(measure, metric, labels.get(measure, measure), kind))
    return choices


def public_waves() -> QuerySet[Wave]:
    """Waves whose current results are public: what rule categories may use."""
    return (
        Wave.objects.filter(is_public=True, result_sets__is_current=True)
        .select_related("study")
        .order_by("-starts_on", "name")
    )


def channel_choices() -> list[tuple[str, str]]:
    return [(c.value, str(c.label)) for c in Channel]


@dataclass
class AwardHeadline:
    """A published wave's headline figure, and the industries and channels it publishes some
    company's figure for: what a night's standard categories are built from."""

    measure: str
    kind: str
    wave_name: str
    industries: list[Industry]
    channels: list[tuple[str, str]]


def award_headline(*, wave_id: int) -> AwardHeadline | None:
    """None when the wave's results are not public."""
    result_set = (
        ResultSet.objects.filter(wave_id=wave_id, is_current=True, wave__is_public=True)
        .select_related("wave__study", "wave__questionnaire")
        .first()
    )
    if result_set is None:
        return None
    wave = result_set.wave
    questions = list(Question.objects.filter(questionnaire_id=wave.questionnaire_id))
    measure = _headline(wave, questions)
    if measure is None:
        return None
    # Only where some company's figure is published: a category nobody qualifies for is none.
    published = result_set.rows.filter(measure=measure, suppressed=False)
    industry_ids = set(published.filter(scope=Scope.COMPANY).values_list("industry_id", flat=True))
    codes = set(published.filter(scope=Scope.COMPANY_CHANNEL).values_list("channel", flat=True))
    return AwardHeadline(
        measure=measure,
        kind="score" if measure == "score" else "question_mean",
        wave_name=wave.display_name,
        industries=list(Industry.objects.filter(pk__in=industry_ids).order_by("position", "name")),
        channels=[(c.value, str(c.label)) for c in Channel if c.value in codes],
    )
