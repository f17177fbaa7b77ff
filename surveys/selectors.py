"""Reads shared by views, the API and the award app."""

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kundeservice.caching import safe_cache_get, safe_cache_set
from kundeservice.numbers import ascii_digits
from surveys.answers import OTHER_COMPANY_PREFIX, OptionInfo, QuestionInfo
from surveys.branching import NA, is_shown
from surveys.expressions import as_text, evaluate
from surveys.indicators import QuestionFacts
from surveys.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    CalibrationExercise,
    Channel,
    Company,
    Gender,
    Indicator,
    Industry,
    Invitation,
    InvitationStatus,
    ObservationSetup,
    Observer,
    Option,
    Panelist,
    Question,
    Questionnaire,
    QuestionRole,
    QuestionType,
    Region,
    Response,
    ResponseSource,
    ResponseStatus,
    Section,
    SubmissionInbox,
    SubmissionStatus,
    Wave,
    WaveStatus,
)
from surveys.weeks import current_week

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
        org_prefix = "".join(ascii_digits(search).split())
        qs = qs.filter(Q(name__icontains=search) | Q(org_number__startswith=org_prefix))
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
    #: The calculated questions (XLSForm ``calculate``) in form order, with their expressions.
    calculations: list[tuple[str, Any]] = field(default_factory=list)

    def visible_sections(self, answers: dict[str, Any]) -> list[SectionView]:
        answers = self.with_calculated(answers)
        return [s for s in self.sections if is_shown(s.section.relevant, answers)]

    def visible_questions(
        self, section: SectionView, answers: dict[str, Any]
    ) -> list[QuestionView]:
        answers = self.with_calculated(answers)
        return [q for q in section.questions if is_shown(q.question.relevant, answers)]

    def with_calculated(self, answers: dict[str, Any]) -> dict[str, Any]:
        """The answers and every calculated value computed from them (as text, in form order:
        a calculation may use an earlier one). Calculated values are never stored."""
        if not self.calculations:
            return answers
        values = dict(answers)
        for key, tree in self.calculations:
            values[key] = as_text(evaluate(tree, values, choice_label=self.choice_label))
        return values

    def choice_label(self, key: str, code: str) -> str:
        """The label of option ``code`` of question ``key`` in the active language (the code
        itself when there is no such option), for ``jr:choice-name``."""
        view = self.questions.get(key)
        if view is None:
            return ""
        return next((o.label for o in view.info.options if o.value == code), code)


STRUCTURE_TTL = 300


def questionnaire_structure(*, questionnaire: Questionnaire) -> Structure:
    """The questionnaire's structure in the active language, from the cache when it can be.

    Built in three queries (four with a company picker). Cached for a few minutes per version and
    language: a version in use never changes, and catalog writes bump ``catalog_version``.
    """
    return _structure(questionnaire.pk, questionnaire.updated_at, lambda: questionnaire)


def questionnaire_structure_by_id(*, questionnaire_id: int, updated_at: datetime) -> Structure:
    """``questionnaire_structure`` for the respondent API's hot path, which read only the
    questionnaire's id and ``updated_at``: the row itself is read only when the structure has to
    be built, and the catalog version may be up to ``CATALOG_VERSION_REUSE`` seconds old."""
    return _structure(
        questionnaire_id,
        updated_at,
        lambda: Questionnaire.objects.get(pk=questionnaire_id),
        catalog_reuse=CATALOG_VERSION_REUSE,
    )


def _structure(
    pk: int,
    updated_at: datetime,
    questionnaire: Callable[[], Questionnaire],
    *,
    catalog_reuse: float = 0.0,
) -> Structure:
    key = (
        f"structure2:{pk}:{updated_at.timestamp()}:{get_language() or 'nb'}:"
        f"{catalog_version(reuse_for=catalog_reuse)}"
    )
    # A process-local copy first: unpickling the structure from Redis on every respondent
    # request costs more than the rest of a page save (bench/RESULTS.md). The key changes with
    # every edit and catalog change, so a stale copy is never used; the dict stays small.
    structure = _local_structures.get(key)
    if structure is not None:
        return structure
    structure = safe_cache_get(key)
    if structure is None:
        structure = _build_structure(questionnaire())
        safe_cache_set(key, structure, STRUCTURE_TTL)
    if len(_local_structures) >= LOCAL_STRUCTURES:
        _local_structures.pop(next(iter(_local_structures)))
    _local_structures[key] = structure
    return structure


LOCAL_STRUCTURES = 32
_local_structures: dict[str, "Structure"] = {}


#: Seconds the respondent API may reuse this process's last reading of the catalog version: a
#: Redis round trip per submit cost as much CPU as validating the answers (bench/RESULTS.md). A
#: company added or deactivated reaches the API's validation that much later.
CATALOG_VERSION_REUSE = 1.0
_catalog_seen: tuple[float, str] = (float("-inf"), "")


def catalog_version(*, reuse_for: float = 0.0) -> str:
    """The version cached company lists are keyed by. ``reuse_for``: seconds this process's last
    reading may be reused instead of asking the cache."""
    global _catalog_seen
    now = time.monotonic()
    if now - _catalog_seen[0] < reuse_for:
        return _catalog_seen[1]
    version = safe_cache_get("catalog-version")
    if version is None:
        version = catalog_changed()
    _catalog_seen = (now, str(version))
    return str(version)


def catalog_changed() -> str:
    """Call after the catalog changes, so cached company lists are rebuilt."""
    global _catalog_seen
    version = uuid.uuid4().hex[:12]
    safe_cache_set("catalog-version", version, None)
    _catalog_seen = (time.monotonic(), version)
    return version


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
        if question.calculation is not None:
            structure.calculations.append((question.key, question.calculation))
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
                columns=o.columns or {},
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
        constraint=question.constraint,
        constraint_message=_kept_text(question, "constraint_message"),
        required_message=_kept_text(question, "required_message"),
        choice_filter=question.choice_filter,
    )


def _kept_text(question: Question, column: str) -> str:
    """A message kept from an XLSForm, in the active language (bokmål when there is no other)."""
    texts = (question.translations or {}).get(column) or {}
    language = (get_language() or "nb")[:2]
    return str(texts.get("en" if language == "en" else "nb") or texts.get("nb") or "")


def indicator_question_facts(*, questionnaire: Questionnaire) -> dict[str, QuestionFacts]:
    """What a derived indicator's condition may test, question by question (two queries)."""
    facts = {}
    for question in Question.objects.filter(questionnaire=questionnaire).prefetch_related(
        "options"
    ):
        if question.type == QuestionType.CHANNEL:
            labels = tuple((c.value, str(c.label)) for c in Channel)
        else:
            labels = tuple((o.value, o.display_label) for o in question.options.all())
        scale = None
        if question.type == QuestionType.NPS:
            scale = (0, 10)
        elif question.scale_min is not None and question.scale_max is not None:
            scale = (question.scale_min, question.scale_max)
        facts[question.key] = QuestionFacts(
            key=question.key,
            type=question.type,
            options=frozenset(value for value, _label in labels),
            scale=scale,
            label=question.display_text,
            option_labels=labels,
        )
    return facts


def indicators_for_wave(wave: Wave) -> list[Indicator]:
    """The wave's own indicators and its questionnaire's (the wave's win on the same key)."""
    found: dict[str, Indicator] = {}
    candidates = Indicator.objects.filter(
        Q(wave=wave) | Q(wave__isnull=True, questionnaire_slug=wave.questionnaire.slug)
    )
    for indicator in sorted(candidates, key=lambda i: i.wave_id is not None):
        found[indicator.key] = indicator  # the wave's own come last and replace the others
    return sorted(found.values(), key=lambda i: (i.position, i.key))


@dataclass
class OutlineSection:
    section: Section
    questions: list[Question]


def questionnaire_outline(*, questionnaire: Questionnaire) -> list[OutlineSection]:
    """Sections with their questions and options, in order, as the builder edits them: three
    queries, never cached (the builder must see its own writes at once)."""
    outline = {
        s.pk: OutlineSection(section=s, questions=[])
        for s in questionnaire.sections.order_by("position", "id")
    }
    questions = (
        Question.objects.filter(questionnaire=questionnaire)
        .order_by("position", "id")
        .prefetch_related(Prefetch("options", queryset=Option.objects.order_by("position", "id")))
    )
    for question in questions:
        item = outline[question.section_id]
        question.section = item.section
        question.questionnaire = questionnaire
        item.questions.append(question)
    return list(outline.values())


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
    # Accepted by the respondent API and not yet saved as responses (seconds, normally).
    receiving: int = 0
    # Refused for good by the mail server (a 5xx reply): marked failed, not mailed again.
    refused: int = 0

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
        receiving=Count("id", filter=Q(submission__status=SubmissionStatus.PENDING)),
        refused=Count("id", filter=Q(status=s.FAILED, sent_at__isnull=True)),
    )
    return WaveProgress(**counts)


def wave_refused_invitations(*, wave: Wave, limit: int = 50) -> list[dict[str, Any]]:
    """Invitations the mail server refused for good, with its reply, for staff to act on."""
    rows = (
        Invitation.objects.filter(wave=wave, status=InvitationStatus.FAILED, sent_at__isnull=True)
        .order_by("id")
        .values_list("panelist__email", "last_error")[:limit]
    )
    return [{"email": email or "", "error": error} for email, error in rows]


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
            "stratum": stratum_label(row[field_name] or "", unstratified=field_name != "stratum"),
            "invited": row["invited"],
            "completed": row["completed"],
            "rate_percent": 100 * row["completed"] / row["invited"] if row["invited"] else None,
        }
        for row in rows
    ]


def panelists_invitable_count(*, wave: Wave) -> int:
    """Panelists who could still be invited to ``wave``: reachable and not invited yet."""
    return (
        Panelist.objects.filter(
            unsubscribed_at__isnull=True, erased_at__isnull=True, email__isnull=False
        )
        .exclude(email="")
        .exclude(invitations__wave=wave)
        .count()
    )


def stratum_label(key: str, *, unstratified: bool = False) -> str:
    """What a person reads for a sampling stratum: ``region=more_og_romsdal|age_group=30-44``
    becomes "Møre og Romsdal · 30–44 years"; ``unstratified`` keys are a bare county."""
    if unstratified:
        key = f"region={key}"
    parts = []
    for part in key.split("|"):
        name, _sep, value = part.partition("=")
        parts.append(_stratum_value_label(name, value))
    return " · ".join(parts)


def _stratum_value_label(name: str, value: str) -> str:
    if not value or value == "?":
        return _("not stated")
    if name == "region":
        return str(Region(value).label) if value in Region.values else value
    if name == "gender":
        return str(Gender(value).label) if value in Gender.values else value
    if name == "age_group":
        return _("%(band)s years") % {"band": value.replace("-", "–")}
    return value


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


def open_polls(*, today: date | None = None) -> QuerySet[Wave]:
    """Polls anyone may answer today at /p/<slug>/, newest first."""
    today = today or timezone.localdate()
    return (
        Wave.objects.select_related("study")
        .filter(
            open_slug__isnull=False,
            status=WaveStatus.OPEN,
            starts_on__lte=today,
            ends_on__gte=today,
        )
        .exclude(open_slug="")
        .order_by("-starts_on", "name")
    )


def poll_by_slug(*, slug: str) -> Wave | None:
    """The wave answered at /p/<slug>/, with what its pages show, whatever its status."""
    return Wave.objects.select_related("questionnaire", "study").filter(open_slug=slug).first()


def poll_response_for_browser(*, wave: Wave, key_hash: str) -> Response | None:
    """The response this browser (by its hashed key) has given or started to ``wave``."""
    response = Response.objects.filter(
        wave=wave, source=ResponseSource.OPEN_LINK, browser_key=key_hash
    ).first()
    if response is not None:
        response.wave = wave
    return response


#: Question types whose answers a poll's result counts.
POLL_RESULT_TYPES = {
    QuestionType.SINGLE_CHOICE,
    QuestionType.MULTIPLE_CHOICE,
    QuestionType.YES_NO,
    QuestionType.RATING,
    QuestionType.CHANNEL,
}
COUNTED_STATUSES = [ResponseStatus.SUBMITTED, ResponseStatus.APPROVED]


@dataclass
class ResultRow:
    label: str
    count: int
    percent: float


@dataclass
class QuestionResult:
    question: Question
    n: int
    rows: list[ResultRow]


@dataclass
class PollResult:
    respondents: int
    questions: list[QuestionResult]


def poll_results(
    *, wave: Wave, structure: Structure, fresh_after: datetime | None = None
) -> PollResult:
    """Counts and shares of each answer to the poll's choice, yes/no and rating questions, over
    submitted responses that are not marked invalid. Labels are in the active language.

    The counts come from one GROUP BY and are cached for ``POLL_RESULTS_TTL`` seconds; pass the
    viewer's ``submitted_at`` as ``fresh_after`` so the result they see includes their answer.
    """
    counted = [v for v in structure.questions.values() if v.info.type in POLL_RESULT_TYPES]
    counts = _poll_counts(wave, [v.question.pk for v in counted], fresh_after)
    results = []
    for view in counted:
        by_value: dict[str, int] = counts["answers"].get(str(view.question.pk), {})
        # Respondents who answered it: a multiple-choice answer adds to several rows.
        n = counts["answered"].get(str(view.question.pk), 0)
        choices = [(o.value, o.label) for o in view.info.options]
        if view.info.type == QuestionType.RATING:
            low, high = view.info.scale_min or 1, view.info.scale_max or 5
            choices = [(str(p), str(p)) for p in range(low, high + 1)]
        if by_value.get(NA):
            choices.append((NA, _("Not applicable")))
        rows = [
            ResultRow(
                label=label,
                count=by_value.get(value, 0),
                percent=100 * by_value.get(value, 0) / n if n else 0.0,
            )
            for value, label in choices
        ]
        results.append(QuestionResult(question=view.question, n=n, rows=rows))
    return PollResult(respondents=counts["respondents"], questions=results)


def _poll_counts(wave: Wave, question_ids: list[int], fresh_after: datetime | None) -> Any:
    key = f"poll-results:{wave.pk}"
    cached = safe_cache_get(key)
    if cached is not None and (fresh_after is None or cached["computed_at"] >= fresh_after):
        return cached
    computed_at = timezone.now()
    counted = {"response__status__in": COUNTED_STATUSES, "response__invalid_reason": ""}
    respondents = Response.objects.filter(
        wave=wave, status__in=COUNTED_STATUSES, invalid_reason=""
    ).count()
    grouped = (
        Answer.objects.filter(wave=wave, question_id__in=question_ids, **counted)
        .values("question_id", "value_text", "value_number", "value_choices", "is_na")
        .annotate(n=Count("id"))
        .order_by()
    )
    answers: dict[str, dict[str, int]] = {}
    answered: dict[str, int] = {}
    for row in grouped:
        question = str(row["question_id"])
        values = answers.setdefault(question, {})
        answered[question] = answered.get(question, 0) + row["n"]
        if row["is_na"]:
            keys = [NA]
        elif row["value_choices"] is not None:
            keys = [str(v) for v in row["value_choices"]]
        elif row["value_number"] is not None:
            number = row["value_number"]
            keys = [str(int(number)) if float(number).is_integer() else str(number)]
        else:
            keys = [row["value_text"]]
        for value in keys:
            values[value] = values.get(value, 0) + row["n"]
    counts = {
        "computed_at": computed_at,
        "respondents": respondents,
        "answers": answers,
        "answered": answered,
    }
    safe_cache_set(key, counts, settings.POLL_RESULTS_TTL)
    return counts


def observer_for_user(*, user: Any) -> Observer | None:
    """The observer profile of a logged-in user, or None."""
    if user is None or not user.is_authenticated:
        return None
    return Observer.objects.filter(user_id=user.pk).first()


@dataclass
class ObserverAgenda:
    """An observer's portal: reports to fix, contacts left from earlier weeks, this week, next."""

    returned: list[Assignment]
    earlier: list[Assignment]
    this_week: list[Assignment]
    next_week: list[Assignment]
    calibrations: list[CalibrationExercise] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.returned or self.earlier or self.this_week or self.next_week or self.calibrations
        )


OPEN_ASSIGNMENT = (AssignmentStatus.PLANNED, AssignmentStatus.IN_PROGRESS)


def observer_agenda(*, observer: Observer, today: Any = None) -> ObserverAgenda:
    """The observer's assignments in waves not closed, grouped for the portal, in two queries:
    returned reports, contacts still open from earlier weeks, and this week's and next week's
    (whatever their status). Each carries ``attempt_count``."""
    waves = dict(
        Wave.objects.filter(assignments__observer=observer)
        .exclude(status=WaveStatus.CLOSED)
        .values_list("pk", "starts_on")
        .distinct()
    )
    weeks = {pk: current_week(starts_on=starts, today=today) for pk, starts in waves.items()}
    wanted = Q(status=AssignmentStatus.RETURNED)
    for pk, week in weeks.items():
        wanted |= Q(wave_id=pk, week__in=[week, week + 1])
        wanted |= Q(wave_id=pk, week__lt=week, status__in=OPEN_ASSIGNMENT)
    rows = (
        Assignment.objects.filter(observer=observer, wave_id__in=list(waves))
        .filter(wanted)
        .select_related("company", "wave")
        .annotate(attempt_count=Count("attempts"))
        .order_by("wave__starts_on", "week", "company__name", "channel")
    )
    agenda = ObserverAgenda(
        returned=[],
        earlier=[],
        this_week=[],
        next_week=[],
        # Calibration dialogues the observer was asked to score and has not yet scored.
        calibrations=list(
            CalibrationExercise.objects.filter(observers=observer)
            .exclude(ratings__observer=observer)
            .order_by("-created_at")
        ),
    )
    for row in rows:
        week = weeks[row.wave_id]
        if row.status == AssignmentStatus.RETURNED:
            agenda.returned.append(row)
        elif row.week < week:
            agenda.earlier.append(row)
        elif row.week == week:
            agenda.this_week.append(row)
        else:
            agenda.next_week.append(row)
    return agenda


def review_queue(*, reviewer: Any, wave_id: int | None = None) -> QuerySet[Assignment]:
    """Submitted observer reports, oldest first, without those the reviewer made as observer."""
    qs = (
        Assignment.objects.filter(status=AssignmentStatus.SUBMITTED)
        .exclude(observer__user_id=reviewer.pk)
        .select_related("company", "wave", "observer__user", "response")
        .order_by("response__submitted_at", "pk")
    )
    if wave_id is not None:
        qs = qs.filter(wave_id=wave_id)
    return qs


def review_waves() -> QuerySet[Wave]:
    """Waves that have observer reports, for the review queue's filter."""
    return Wave.objects.filter(assignments__isnull=False).distinct().order_by("-starts_on")


def report_for_review() -> QuerySet[Assignment]:
    """Assignments whose report has been handed in (whatever QA decided), with what the QA page
    shows: attempts and the event log."""
    return (
        Assignment.objects.filter(
            response__isnull=False,
            status__in=[
                AssignmentStatus.SUBMITTED,
                AssignmentStatus.RETURNED,
                AssignmentStatus.APPROVED,
            ],
        )
        .select_related("company", "wave__questionnaire", "observer__user", "response")
        .prefetch_related("attempts", "events__actor")
    )


@dataclass(frozen=True)
class PlanItem:
    """One contact in the plan grid (plain values: a big plan has thousands)."""

    pk: int
    channel: str
    status: str
    observer_name: str
    initials: str

    @property
    def movable(self) -> bool:
        return self.status == AssignmentStatus.PLANNED


@dataclass
class QuotaCell:
    channel: str
    label: str
    planned: int
    quota: int


@dataclass
class PlanRow:
    company_id: int
    company_name: str
    cells: list[list[PlanItem]]
    total: int
    quotas: list[QuotaCell]


@dataclass
class PlanGrid:
    """An observation wave's plan: companies × weeks, with totals and the quotas per channel."""

    setup: ObservationSetup
    weeks: list[int]
    rows: list[PlanRow]
    week_totals: list[int]
    total: int
    problems: list[str]


def observation_plan_grid(*, setup: ObservationSetup, channel: str = "") -> PlanGrid:
    """The plan of ``setup``'s wave (one channel, or all) in two queries whatever its size."""
    # Imported here: the planner brings OR-Tools, which most pages never need.
    from surveys.planning import CompanyIn, Infeasible, PlanInput, company_quotas

    weeks = list(range(1, setup.weeks + 1))
    companies: dict[int, tuple[str, list[str]]] = {
        pk: (name, channels or [])
        for pk, name, channels in setup.companies.values_list("pk", "name", "channels")
    }
    rows_qs = Assignment.objects.filter(wave_id=setup.wave_id)
    if channel:
        rows_qs = rows_qs.filter(channel=channel)
    cells: dict[int, list[list[PlanItem]]] = {}
    planned: dict[tuple[int, str], int] = {}
    names: dict[int, tuple[str, str]] = {}
    for (
        pk,
        company_id,
        company_name,
        company_channels,
        ch,
        week,
        status,
        observer_id,
        first,
        last,
        username,
    ) in rows_qs.order_by("week", "channel", "pk").values_list(
        "pk",
        "company_id",
        "company__name",
        "company__channels",
        "channel",
        "week",
        "status",
        "observer_id",
        "observer__user__first_name",
        "observer__user__last_name",
        "observer__user__username",
    ):
        companies.setdefault(company_id, (company_name, company_channels or []))  # left the wave
        if observer_id not in names:
            name = f"{first} {last}".strip() or username
            names[observer_id] = (name, _initials(name))
        row = cells.setdefault(company_id, [[] for _ in weeks])
        if 1 <= week <= len(weeks):
            name, initials = names[observer_id]
            row[week - 1].append(
                PlanItem(pk=pk, channel=ch, status=status, observer_name=name, initials=initials)
            )
        planned[(company_id, ch)] = planned.get((company_id, ch), 0) + 1
    data = PlanInput(
        companies=[
            CompanyIn(id=pk, name=name, channels=frozenset(chs))
            for pk, (name, chs) in companies.items()
        ],
        observers=[],
        shares=dict(setup.channel_shares),
        contacts_per_company=setup.contacts_per_company,
        weeks=setup.weeks,
    )
    problems: list[str] = []
    try:
        quotas = company_quotas(data)
    except Infeasible as exc:
        quotas, problems = {}, [p.message for p in exc.problems]
    labels = dict(Channel.choices)
    order = {value: i for i, value in enumerate(Channel.values)}
    by_company: dict[int, set[str]] = {}
    for company_id, ch in [*quotas, *planned]:
        by_company.setdefault(company_id, set()).add(ch)
    rows = []
    for company_id, (name, _chs) in sorted(companies.items(), key=lambda kv: kv[1][0]):
        row = cells.get(company_id, [[] for _ in weeks])
        rows.append(
            PlanRow(
                company_id=company_id,
                company_name=name,
                cells=row,
                total=sum(len(cell) for cell in row),
                quotas=[
                    QuotaCell(
                        channel=ch,
                        label=str(labels.get(ch, ch)),
                        planned=planned.get((company_id, ch), 0),
                        quota=quotas.get((company_id, ch), 0),
                    )
                    for ch in sorted(by_company.get(company_id, ()), key=lambda c: order.get(c, 99))
                    if not channel or ch == channel
                ],
            )
        )
    week_totals = [sum(len(r.cells[i]) for r in rows) for i in range(len(weeks))]
    return PlanGrid(
        setup=setup,
        weeks=weeks,
        rows=rows,
        week_totals=week_totals,
        total=sum(week_totals),
        problems=problems,
    )


def _initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p]
    if len(parts) >= 2:
        return (parts[0][0] + parts[-1][0]).upper()
    return name[:2].upper()


@dataclass(frozen=True)
class OtherCompany:
    name: str
    responses: int


def other_companies_named(*, wave: Wave, limit: int = 100) -> list[OtherCompany]:
    """Companies respondents wrote in as "other / not listed", with how many submitted, valid
    responses name each: counted apart, in no company's figures (their responses have none)."""
    found = (
        Answer.objects.filter(
            wave=wave,
            question__role=QuestionRole.COMPANY,
            value_text__startswith=OTHER_COMPANY_PREFIX,
            response__status__in=[ResponseStatus.SUBMITTED, ResponseStatus.APPROVED],
            response__invalid_reason="",
        )
        .values("value_text")
        .annotate(n=Count("id"))
        .order_by("-n", "value_text")[:limit]
    )
    return [
        OtherCompany(name=row["value_text"].removeprefix(OTHER_COMPANY_PREFIX), responses=row["n"])
        for row in found
    ]


# --- The invitation behind a respondent's link ---------------------------------------------------
#
# Every request a respondent makes (each page, autosave, "Next", submit) starts here. Through the
# ORM this one indexed lookup with its five joins cost 1.5 ms of CPU, 1.2 ms of it building and
# compiling the query (bench: `/work/prof`-style in-process timing in bench/RESULTS.md, issue 21);
# the statement is the same every time, so it is built once per process from the models' own
# metadata and the rows are turned into model instances the way the ORM does it.

#: The columns loaded of each model; every other field is deferred (read on access).
_TOKEN_LOOKUP_FIELDS: tuple[tuple[type[Any], str, tuple[str, ...] | None], ...] = (
    (Invitation, "i", None),
    (Wave, "w", ("id", "status", "questionnaire")),
    (Questionnaire, "q", ("id", "updated_at")),
    (Panelist, "p", ("id", "language")),
    (Response, "r", None),
    (SubmissionInbox, "s", ("id", "invitation", "status")),
)


@dataclass(frozen=True)
class _Lookup:
    sql: str
    #: Per model: the model, its attnames in the row, and each column's converters.
    parts: tuple[tuple[type[Any], tuple[str, ...], tuple[tuple[Any, ...], ...]], ...]


_token_lookup: _Lookup | None = None


def _token_lookup_statement() -> _Lookup:
    global _token_lookup
    if _token_lookup is not None:
        return _token_lookup
    columns: list[str] = []
    parts = []
    for model, alias, names in _TOKEN_LOOKUP_FIELDS:
        fields = [f for f in model._meta.concrete_fields if names is None or f.name in names]
        converters = []
        for f in fields:
            column = f.get_col(alias)
            converters.append(
                tuple(
                    connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                )
            )
            columns.append(f"{alias}.{connection.ops.quote_name(f.column)}")
        parts.append((model, tuple(f.attname for f in fields), tuple(converters)))
    quote = connection.ops.quote_name
    table = {model: quote(model._meta.db_table) for model, _a, _n in _TOKEN_LOOKUP_FIELDS}
    # Only names from the models' metadata go into the text; the token hash is a parameter.
    sql = (
        f"SELECT {', '.join(columns)} FROM {table[Invitation]} i "  # noqa: S608
        f"JOIN {table[Wave]} w ON w.id = i.wave_id "
        f"JOIN {table[Questionnaire]} q ON q.id = w.questionnaire_id "
        f"JOIN {table[Panelist]} p ON p.id = i.panelist_id "
        f"LEFT JOIN {table[Response]} r ON r.invitation_id = i.id "
        f"LEFT JOIN {table[SubmissionInbox]} s ON s.invitation_id = i.id "
        "WHERE i.token_hash = %s"
    )
    _token_lookup = _Lookup(sql=sql, parts=tuple(parts))
    return _token_lookup


def invitation_for_token_hash(token_hash: str) -> Invitation | None:
    """The invitation with its wave, questionnaire (id, updated_at), panelist (language), its
    response (every field) and API submission (status) if any; None for an unknown token."""
    lookup = _token_lookup_statement()
    with connection.cursor() as cursor:
        cursor.execute(lookup.sql, [token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    objects: list[Any] = []
    at = 0
    for model, attnames, converters in lookup.parts:
        values = list(row[at : at + len(attnames)])
        at += len(attnames)
        if values[attnames.index("id")] is None:  # no response / no submission (LEFT JOIN)
            objects.append(None)
            continue
        for index, column_converters in enumerate(converters):
            for converter in column_converters:
                values[index] = converter(values[index], None, connection)
        objects.append(model.from_db(connection.alias, list(attnames), values))
    invitation, wave, questionnaire, panelist, response, submission = objects
    wave.questionnaire = questionnaire
    invitation.wave = wave
    invitation.panelist = panelist
    Invitation.response.related.set_cached_value(invitation, response)
    Invitation.submission.related.set_cached_value(invitation, submission)
    if response is not None:
        response.invitation = invitation
        response.wave = wave
    return invitation
