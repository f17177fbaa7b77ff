"""Reads shared by views, the API and the award app."""

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils.translation import get_language

from surveys.answers import OptionInfo, QuestionInfo
from surveys.branching import is_shown
from surveys.models import (
    Channel,
    Company,
    Industry,
    Invitation,
    InvitationStatus,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Response,
    Section,
    Wave,
)

logger = logging.getLogger(__name__)


def industries_with_company_counts() -> QuerySet[Industry]:
    """Industries in display order, each with ``company_count`` of its active companies."""
    return Industry.objects.annotate(
        company_count=Count("companies", filter=Q(companies__is_active=True))
    ).order_by("position", "name")


def companies_list(
    *,
    industry: str | None = None,
    channel: str | None = None,
    search: str | None = None,
    include_inactive: bool = False,
) -> QuerySet[Company]:
    """Companies with their industry, filtered by industry slug, channel offered and a name or
    organisation-number search."""
    qs = Company.objects.select_related("industry").order_by("name")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if industry:
        qs = qs.filter(industry__slug=industry)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(org_number__startswith=search.strip()))
    if channel:
        qs = _offering(qs, channel)
    return qs


def _offering(qs: QuerySet[Company], channel: str) -> QuerySet[Company]:
    if connection.features.supports_json_field_contains:
        return qs.filter(channels__contains=[channel])
    # SQLite (the embedded default) cannot query inside JSON lists; the catalog is small.
    ids = [pk for pk, channels in qs.values_list("pk", "channels") if channel in channels]
    return qs.filter(pk__in=ids)


@dataclass
class QuestionView:
    question: Question
    info: QuestionInfo

    @property
    def key(self) -> str:
        return self.question.key


@dataclass
class SectionView:
    section: Section
    questions: list[QuestionView]


@dataclass
class Structure:
    """A questionnaire as the respondent flow needs it, labels in the active language."""

    questionnaire: Questionnaire
    sections: list[SectionView]
    questions: dict[str, QuestionView] = field(default_factory=dict)
    company_ids: dict[str, int] = field(default_factory=dict)

    def visible_sections(self, answers: dict[str, Any]) -> list[SectionView]:
        return [s for s in self.sections if is_shown(s.section.relevant, answers)]

    def visible_questions(
        self, section: SectionView, answers: dict[str, Any]
    ) -> list[QuestionView]:
        return [q for q in section.questions if is_shown(q.question.relevant, answers)]


STRUCTURE_TTL = 300


def questionnaire_structure(*, questionnaire: Questionnaire) -> Structure:
    """The questionnaire's structure in the active language, from the cache when it can be.

    Built in three queries (four with a company picker). Cached for a few minutes per version and
    language: a version in use never changes, and catalog writes bump ``catalog_version``.
    """
    key = (
        f"structure:{questionnaire.pk}:{questionnaire.updated_at.timestamp()}:"
        f"{get_language() or 'nb'}:{catalog_version()}"
    )
    structure = safe_cache_get(key)
    if structure is None:
        structure = _build_structure(questionnaire)
        safe_cache_set(key, structure, STRUCTURE_TTL)
    return structure


def catalog_version() -> str:
    version = safe_cache_get("catalog-version")
    if version is None:
        version = catalog_changed()
    return str(version)


def catalog_changed() -> str:
    """Call after the catalog changes, so cached company lists are rebuilt."""
    version = uuid.uuid4().hex[:12]
    safe_cache_set("catalog-version", version, None)
    return version


def safe_cache_get(key: str) -> Any:
    """The cache is an optimisation: when Redis is down, respondents must still be served."""
    try:
        return cache.get(key)
    except Exception:  # any backend error (connection refused, timeout) means "not cached"
        logger.warning("cache unavailable reading %s", key, exc_info=True)
        return None


def safe_cache_set(key: str, value: Any, timeout: int | None) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:  # see safe_cache_get
        logger.warning("cache unavailable writing %s", key, exc_info=True)


def _build_structure(questionnaire: Questionnaire) -> Structure:
    sections = list(questionnaire.sections.order_by("position", "id"))
    questions = list(
        Question.objects.filter(questionnaire=questionnaire)
        .order_by("section__position", "position", "id")
        .prefetch_related(Prefetch("options", queryset=Option.objects.order_by("position", "id")))
    )
    companies: list[tuple[str, str]] | None = None
    if any(q.type == QuestionType.COMPANY for q in questions):
        rows = (
            Company.objects.filter(is_active=True)
            .order_by("name")
            .values_list("pk", "slug", "name")
        )
        structure_company_ids = {slug: pk for pk, slug, _name in rows}
        companies = [(slug, name) for _pk, slug, name in rows]
    by_section: dict[int, list[QuestionView]] = {s.pk: [] for s in sections}
    structure = Structure(questionnaire=questionnaire, sections=[])
    if companies is not None:
        structure.company_ids = structure_company_ids
    for question in questions:
        view = QuestionView(question=question, info=_question_info(question, companies or []))
        by_section[question.section_id].append(view)
        structure.questions[question.key] = view
    structure.sections = [SectionView(section=s, questions=by_section[s.pk]) for s in sections]
    return structure


def _question_info(question: Question, companies: list[tuple[str, str]]) -> QuestionInfo:
    if question.type == QuestionType.COMPANY:
        options = tuple(OptionInfo(value=slug, label=name) for slug, name in companies)
    elif question.type == QuestionType.CHANNEL:
        options = tuple(OptionInfo(value=c.value, label=str(c.label)) for c in Channel)
    else:
        options = tuple(
            OptionInfo(
                value=o.value,
                label=o.display_label,
                points=None if o.points is None else float(o.points),
            )
            for o in question.options.all()
        )
    return QuestionInfo(
        key=question.key,
        type=question.type,
        required=question.required,
        allow_na=question.allow_na,
        scale_min=question.scale_min,
        scale_max=question.scale_max,
        options=options,
        scored=question.scored,
    )


@dataclass
class WaveProgress:
    invited: int
    sent: int
    opened: int
    started: int
    screened_out: int
    completed: int
    unsent: int
    in_flight: int

    @property
    def response_rate(self) -> float | None:
        """Completed (including screened out, who answered) over invitations mailed."""
        return (self.completed + self.screened_out) / self.sent if self.sent else None

    @property
    def response_rate_percent(self) -> float | None:
        rate = self.response_rate
        return None if rate is None else 100 * rate


def wave_progress(*, wave: Wave) -> WaveProgress:
    """Invitation funnel of a wave in one query."""
    s = InvitationStatus
    counts = Invitation.objects.filter(wave=wave).aggregate(
        invited=Count("id"),
        unsent=Count("id", filter=Q(status=s.PENDING)),
        in_flight=Count("id", filter=Q(status=s.SENDING)),
        sent=Count("id", filter=Q(sent_at__isnull=False)),
        opened=Count(
            "id", filter=Q(opened_at__isnull=False) | Q(status__in=[s.SCREENED_OUT, s.COMPLETED])
        ),
        started=Count("id", filter=Q(status__in=[s.STARTED, s.SCREENED_OUT, s.COMPLETED])),
        screened_out=Count("id", filter=Q(status=s.SCREENED_OUT)),
        completed=Count("id", filter=Q(status=s.COMPLETED)),
    )
    return WaveProgress(**counts)


def wave_completions_by_day(*, wave: Wave) -> list[dict[str, Any]]:
    """Completed and screened-out invitations per day."""
    return list(
        Invitation.objects.filter(wave=wave, completed_at__isnull=False)
        .annotate(day=TruncDate("completed_at"))
        .values("day")
        .annotate(
            completed=Count("id", filter=Q(status=InvitationStatus.COMPLETED)),
            screened_out=Count("id", filter=Q(status=InvitationStatus.SCREENED_OUT)),
        )
        .order_by("day")
    )


def wave_rates_by_stratum(*, wave: Wave) -> list[dict[str, Any]]:
    """Invited and completed per county (or per the stratum used when sampling)."""
    field_name = (
        "stratum"
        if Invitation.objects.filter(wave=wave).exclude(stratum="").exists()
        else "panelist__region"
    )
    rows = (
        Invitation.objects.filter(wave=wave)
        .values(field_name)
        .annotate(
            invited=Count("id"),
            completed=Count("id", filter=Q(status=InvitationStatus.COMPLETED)),
        )
        .order_by(field_name)
    )
    return [
        {
            "stratum": row[field_name] or "?",
            "invited": row["invited"],
            "completed": row["completed"],
            "rate_percent": 100 * row["completed"] / row["invited"] if row["invited"] else None,
        }
        for row in rows
    ]


def responses_for_wave(
    *, wave: Wave, status: str | None = None, invalid: bool = False
) -> QuerySet[Response]:
    """A wave's responses, newest first, with what the staff list shows."""
    qs = (
        Response.objects.filter(wave=wave)
        .select_related("company")
        .order_by("-submitted_at", "-id")
    )
    if status:
        qs = qs.filter(status=status)
    if invalid:
        qs = qs.exclude(invalid_reason="")
    return qs
