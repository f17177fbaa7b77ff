"""Reads of published results, shared by the public pages, the API and the award app.

The public only ever sees a wave's *current* result set, and only once the wave's results are
public; staff who run results may preview the rest. Suppressed rows (fewer answers than the
wave's minimum n) are returned so pages can say so, but their figures never leave here: callers
get ``None`` for them through ``public_value``.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from surveys.models import (
    Channel,
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

    @property
    def headline_label(self) -> str:
        return self.labels.get(self.headline or "", "")


def published_sets() -> QuerySet[ResultSet]:
    """Current result sets of waves whose results are public, newest wave first."""
    return (
        ResultSet.objects.filter(is_current=True, wave__is_public=True)
        .select_related("wave__study")
        .order_by("-wave__starts_on", "wave__name")
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
    result_set = sets.select_related("wave__study", "wave__previous").first()
    if result_set is None:
        return None
    the_wave = result_set.wave
    questions = list(
        Question.objects.filter(questionnaire_id=the_wave.questionnaire_id).only(
            "id", "key", "role", "type", "text", "text_en", "section_id", "position"
        )
    )
    labels = _labels(the_wave, questions)
    return Published(
        wave=the_wave,
        result_set=result_set,
        headline=_headline(the_wave, questions),
        labels=labels,
        key_measures=_key_measures(the_wave, questions),
        channel_question=next(
            (f"q:{q.key}" for q in questions if q.role == QuestionRole.CHANNEL), None
        ),
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
    scope: str,
    measure: str | None = None,
    measures: Iterable[str] | None = None,
    measure_prefix: str | None = None,
    metric: str | None = None,
    industry: int | None = None,
    company: int | None = None,
    channel: str | None = None,
) -> list[ResultRow]:
    """Rows of the published set in one scope, with company and industry (one query)."""
    qs = published.result_set.rows.filter(scope=scope).select_related("company", "industry")
    if measure is not None:
        qs = qs.filter(measure=measure)
    if measures is not None:
        qs = qs.filter(measure__in=list(measures))
    if measure_prefix is not None:
        qs = qs.filter(measure__startswith=measure_prefix)
    if metric is not None:
        qs = qs.filter(metric=metric)
    if industry is not None:
        qs = qs.filter(industry_id=industry)
    if company is not None:
        qs = qs.filter(company_id=company)
    if channel is not None:
        qs = qs.filter(channel=channel)
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


def wave_overview(published: Published) -> WaveOverview:
    """What a wave's overview page shows (six queries)."""
    headline = published.headline or ""
    key_rows = key_figures(
        published,
        rows(published, scope=Scope.OVERALL, measures=[k.measure for k in published.key_measures]),
    )
    industries = sorted(
        rows(published, scope=Scope.INDUSTRY, measure=headline, metric=Metric.MEAN),
        key=lambda r: (r.industry.position, r.industry.name) if r.industry else (0, ""),
    )
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
        areas=rows(published, scope=Scope.OVERALL, measure_prefix="area:"),
        channel_share=channel_share,
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
    return {
        "options": [(o, channel_label(o)) for o in options],
        "rows": [(i, [table[i.pk].get(o) for o in options]) for i in ordered],
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
