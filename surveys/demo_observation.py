"""Demo data for the observer programme: a Kundeserviceprisen-like wave.

About 60 companies, 40 observers (some are customers of a company and must never test it), the
distribution key, a plan from the real planner, and the contacts of every week so far: a few
never answered (score 0), the rest answered, evaluated and scored with the portal's own scoring
(``surveys.evaluation.scored_item`` and ``surveys.scoring``). Most are approved, some wait for
QA, a couple are returned. The current week's contacts are still to be made; the demo
``observer`` login is one of the observers. Everything is written in bulk.
"""

import copy
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from kundeservice.roles import Role
from surveys import scoring
from surveys.branching import NA
from surveys.evaluation import scored_item, unanswered_items
from surveys.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    AttemptResult,
    Company,
    ContactAttempt,
    ContactOutcome,
    Observer,
    Response,
    ResponseSource,
    ResponseStatus,
    ReviewEvent,
    Study,
    StudyKind,
    Wave,
    WaveStatus,
)
from surveys.selectors import Structure, questionnaire_structure
from surveys.services.assignments import assignments_plan, observation_setup_save
from surveys.services.questionnaires import questionnaire_create
from surveys.services.responding import answer_row
from surveys.specs import KUNDESERVICEPRISEN
from surveys.weeks import week_bounds

# Long enough for five monthly temperature updates (surveys.demo_episodes) before this week.
WEEKS = 20
OBSERVERS = 40
COMPANIES = 60
CONTACT_CHANNELS = ["phone", "chat", "email", "social"]
FIRST_NAMES = [
    "Kari", "Ola", "Ingrid", "Lars", "Sofie", "Anders", "Nora", "Magnus", "Emma", "Henrik",
    "Sara", "Jonas", "Ida", "Eirik", "Thea", "Sindre", "Maja", "Håkon", "Hanna", "Even",
]  # fmt: skip
LAST_NAMES = [
    "Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen", "Dahl", "Lie", "Strand",
    "Bakken", "Solberg", "Moe", "Lund", "Ruud", "Eide", "Kristiansen", "Holm", "Aas", "Vik",
]  # fmt: skip
SCENARIO = (
    "Du vurderer å bli kunde og vil vite hva det koster, hvor lang bindingstid det er og hvordan "
    "du bytter fra din nåværende leverandør. Spør om råd for din situasjon."
)
#: DOMAIN.md: phone has the highest average, chat is about average, e-mail lags.
CHANNEL_EFFECT = {"phone": 0.08, "chat": 0.0, "email": -0.1, "social": -0.03}
RETURN_REASONS = [
    "Totalinntrykket stemmer ikke med kommentaren: du skriver at du ikke fikk svar på spørsmålet, "
    "men har svart «Ja, helt» på løsning. Se over og send inn på nytt.",
    "Ventetiden mangler. Før opp hvor lenge du ventet før du fikk svar.",
]


def seed_observation_wave(*, stdout_lines: list[str], seed: int = 2026) -> None:
    """Create the wave and its contacts; skipped when it already exists."""
    study, _created = Study.objects.get_or_create(
        slug="kundeserviceprisen",
        defaults={
            "name": "Kundeserviceprisen",
            "name_en": "Customer Service Award",
            "kind": StudyKind.OBSERVATION,
        },
    )
    if Wave.objects.filter(study=study, slug="2026").exists():
        stdout_lines.append("  Kundeserviceprisen 2026: already there")
        return
    rng = random.Random(seed)
    today = timezone.localdate()
    # The wave is in its last week: weeks 1–19 are done, this week's contacts are still to make.
    starts_on = today - timedelta(days=today.weekday(), weeks=WEEKS - 1)
    with transaction.atomic():
        questionnaire = questionnaire_create(spec=copy.deepcopy(KUNDESERVICEPRISEN))
        wave = Wave.objects.create(
            study=study,
            slug="2026",
            name="Kundeserviceprisen 2026",
            name_en="Customer Service Award 2026",
            questionnaire=questionnaire,
            starts_on=starts_on,
            ends_on=starts_on + timedelta(weeks=WEEKS, days=-1),
            status=WaveStatus.OPEN,
            minimum_n=10,
        )
        companies = list(Company.objects.filter(is_active=True).order_by("org_number")[:COMPANIES])
        observers = _observers(rng, companies)
        observation_setup_save(
            wave=wave,
            companies=companies,
            channel_shares={"phone": 0.4, "chat": 0.2, "email": 0.2, "social": 0.2},
            contacts_per_company=25,
            weeks=WEEKS,
            seed=seed,
            scenario=SCENARIO,
        )
        planned = assignments_plan(wave=wave)
        _demo_observer_this_week(wave, observers[0])
        made = _contacts(rng, wave, questionnaire_structure(questionnaire=questionnaire))
        _calibration(rng, questionnaire, observers, companies)
    stdout_lines.append(
        f"  Kundeserviceprisen 2026: {len(companies)} companies, {len(observers)} observers, "
        f"{planned} contacts planned, {made.total} made ({made.not_answered} not answered, "
        f"{made.approved} approved, {made.submitted} waiting for QA, {made.returned} returned); "
        "a calibration exercise scored by 5 of 6 observers"
    )


def _observers(rng: random.Random, companies: list[Company]) -> list[Observer]:
    """Forty observers: the demo ``observer`` login and 39 more, some with conflicts."""
    User = get_user_model()
    group = Group.objects.get(name=Role.OBSERVER)
    password = make_password("demo-passord")
    users = [
        User(
            username=f"observator{i:02d}",
            first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
            last_name=LAST_NAMES[(i * 7) % len(LAST_NAMES)],
            email=f"observator{i:02d}@demo.kundeservice.no",
            password=password,
        )
        for i in range(1, OBSERVERS)
        if not User.objects.filter(username=f"observator{i:02d}").exists()
    ]
    User.objects.bulk_create(users)
    users = list(User.objects.filter(username__startswith="observator").order_by("username"))
    demo = User.objects.filter(username=Role.OBSERVER.value).first()
    if demo is not None:
        users.insert(0, demo)
    group.user_set.add(*users)
    observers = []
    for n, user in enumerate(users):
        channels = list(CONTACT_CHANNELS)
        if n % 5 == 3:
            channels.remove("social")  # not everyone does Messenger
        if n % 7 == 5:
            channels.remove("email")
        observer, _created = Observer.objects.update_or_create(
            user=user,
            defaults={
                "trained": True,
                "active": True,
                "weekly_capacity": 4 if n == 0 else rng.choice([3, 3, 4, 5]),
                "channels": channels,
            },
        )
        if n % 4 == 1:  # a customer of one or two of the companies
            observer.conflicts.set(rng.sample(companies, rng.choice([1, 2])))
        observers.append(observer)
    return observers


def _demo_observer_this_week(wave: Wave, demo: Observer, wanted: int = 2) -> None:
    """The demo login always has contacts to make this week: the planner's share may give it
    none, so it takes up to ``wanted`` of this week's from others (in its channels, never a
    company it must not test)."""
    if demo.user.username != Role.OBSERVER.value:
        return
    mine = Assignment.objects.filter(wave=wave, observer=demo, week=WEEKS).count()
    taken = list(
        Assignment.objects.filter(wave=wave, week=WEEKS, channel__in=demo.channels)
        .exclude(observer=demo)
        .exclude(company__in=demo.conflicts.all())
        .order_by("pk")
        .values_list("pk", flat=True)[: max(0, wanted - mine)]
    )
    Assignment.objects.filter(pk__in=taken).update(observer=demo)


@dataclass
class Made:
    total: int = 0
    not_answered: int = 0
    approved: int = 0
    submitted: int = 0
    returned: int = 0
    events: list[ReviewEvent] = field(default_factory=list)


def _contacts(rng: random.Random, wave: Wave, structure: Structure) -> Made:
    """Every contact of the weeks gone by: attempts, the report and its answers, QA's verdict."""
    from surveys.models import ObservationSetup

    setup = ObservationSetup.objects.get(wave=wave)
    current = WEEKS
    reviewer = get_user_model().objects.filter(username=Role.QA_REVIEWER.value).first()
    done = list(
        Assignment.objects.filter(wave=wave, week__lt=current)
        .select_related("observer__user", "company")
        .order_by("week", "pk")
    )
    not_answered = set(rng.sample(range(len(done)), max(1, len(done) // 50)))
    answered_ids = [i for i in range(len(done)) if i not in not_answered]
    demo_rows = [i for i in answered_ids if done[i].observer.user.username == Role.OBSERVER.value]
    returned = set(rng.sample(answered_ids, 2))
    if demo_rows:  # let the demo observer see a returned report in the portal
        returned = {demo_rows[-1], *list(returned)[:1]}
    recent = {i for i, a in enumerate(done) if a.week >= current - 2}
    section_weights = {s.section.key: float(s.section.weight) for s in structure.sections}
    unanswered = unanswered_items(structure)
    made = Made()
    attempts: list[ContactAttempt] = []
    responses: list[Response] = []
    drafts: list[dict[str, Any]] = []
    for i, assignment in enumerate(done):
        first_day, _last = week_bounds(starts_on=wave.starts_on, week=assignment.week)
        day = first_day + timedelta(days=rng.randint(0, 2))
        started = _at(day, rng)
        level = (
            _company_quality(assignment.company_id)
            + CHANNEL_EFFECT.get(assignment.channel, 0.0)
            + rng.gauss(0, 0.12)
        )
        quality = min(1.0, max(0.0, level))
        tries: list[tuple[datetime, datetime | None]] = []
        if i in not_answered:
            tries = [(started, None), (_at(day + timedelta(days=2), rng), None)]
        else:
            wait = _wait_minutes(assignment.channel, rng, quality)
            if rng.random() < 0.08 and assignment.channel in ("phone", "chat"):
                tries.append((started, None))  # nobody answered in time: tried again
                started = _at(day + timedelta(days=1), rng)
            tries.append((started, started + timedelta(minutes=wait)))
        for number, (start, answered_at) in enumerate(tries, start=1):
            attempts.append(
                ContactAttempt(
                    assignment=assignment,
                    number=number,
                    started_at=start,
                    answered_at=answered_at,
                    result=AttemptResult.ANSWERED if answered_at else AttemptResult.NO_ANSWER,
                )
            )
        submitted_at = tries[-1][0] + timedelta(hours=rng.randint(1, 30))
        status = AssignmentStatus.APPROVED
        if i in returned:
            status = AssignmentStatus.RETURNED
        elif i in recent and rng.random() < 0.45:
            status = AssignmentStatus.SUBMITTED
        events: list[tuple[str, str, Any, str]] = [
            (AssignmentStatus.PLANNED, AssignmentStatus.IN_PROGRESS, assignment.observer.user, ""),
            (
                AssignmentStatus.IN_PROGRESS,
                AssignmentStatus.SUBMITTED,
                assignment.observer.user,
                "",
            ),
        ]
        if status != AssignmentStatus.SUBMITTED:
            reason = (
                RETURN_REASONS[len(made.events) % 2] if status == AssignmentStatus.RETURNED else ""
            )
            events.append((AssignmentStatus.SUBMITTED, status, reviewer, reason))
        for n, (before, after, actor, why) in enumerate(events):
            made.events.append(
                ReviewEvent(
                    assignment=assignment,
                    from_status=before,
                    to_status=after,
                    actor=actor,
                    reason=why,
                    at=tries[0][0] if n == 0 else submitted_at + timedelta(hours=20 * (n - 1)),
                )
            )
        assignment.status = status
        assignment.return_reason = events[-1][3] if status == AssignmentStatus.RETURNED else ""
        if i in not_answered:
            assignment.outcome = ContactOutcome.NOT_ANSWERED
            result = scoring.contact_score(
                answered=False, items=unanswered, section_weights=section_weights
            )
            draft: dict[str, Any] = {}
            made.not_answered += 1
        else:
            assignment.outcome = ContactOutcome.ANSWERED
            start, answered_at = tries[-1]
            assert answered_at is not None
            minutes = scoring.wait_minutes(assignment.channel, start, answered_at)
            draft = _answers(rng, quality, minutes, assignment.company.channels)
            items = [
                item
                for section in structure.visible_sections(draft)
                for view in structure.visible_questions(section, draft)
                if (item := scored_item(section.section.key, view, draft.get(view.key))) is not None
            ]
            result = scoring.contact_score(
                answered=True,
                items=items,
                section_weights=section_weights,
                wait_score=scoring.wait_score(assignment.channel, minutes),
                wait_share=float(setup.wait_time_share),
            )
        made.total += 1
        made.approved += status == AssignmentStatus.APPROVED
        made.submitted += status == AssignmentStatus.SUBMITTED
        made.returned += status == AssignmentStatus.RETURNED
        responses.append(
            Response(
                wave=wave,
                source=ResponseSource.OBSERVER,
                assignment=assignment,
                status=ResponseStatus(status.value),
                company_id=assignment.company_id,
                channel=assignment.channel,
                draft=draft,
                score=result.total,
                section_scores=result.sections,
                submitted_at=submitted_at,
            )
        )
        drafts.append(draft)
    _save_statuses(done)
    ContactAttempt.objects.bulk_create(attempts, batch_size=1000)
    responses = Response.objects.bulk_create(responses, batch_size=1000)
    if responses and responses[0].pk is None:  # a backend that does not return keys
        responses = list(
            Response.objects.filter(wave=wave).order_by("assignment__week", "assignment_id")
        )
    answers = [
        answer_row(response, structure.questions[key], value, response.company_id, response.channel)
        for response, draft in zip(responses, drafts, strict=True)
        for key, value in draft.items()
    ]
    Answer.objects.bulk_create(answers, batch_size=2000)
    times = [e.at for e in made.events]
    saved = ReviewEvent.objects.bulk_create(made.events, batch_size=1000)
    if saved and saved[0].pk is not None:
        _backdate(saved, times)
    return made


CALIBRATION_TRANSCRIPT = """Kundebehandler: Velkommen til kundeservice, du snakker med Sander.
Kunde: Hei! Jeg vurderer å bytte til dere og lurer på hva det koster.
Kundebehandler: Det kommer litt an på. Hva bruker du i dag?
Kunde: Rundt 20 GB i måneden, og jeg ringer mye.
Kundebehandler: Da passer 20 GB-abonnementet, 349 kroner i måneden, uten bindingstid.
Kunde: Hvordan bytter jeg?
Kundebehandler: Det ordner vi. Du bestiller på nettsiden, så sier vi opp det gamle for deg.
Kunde: Takk, da vet jeg det.
Kundebehandler: Bare hyggelig, ha en fin dag!"""


def _calibration(
    rng: random.Random, questionnaire: Any, observers: list[Observer], companies: list[Company]
) -> None:
    """One calibration exercise: six observers invited, five have scored it, a little apart; the
    demo ``observer`` login is the sixth, yet to score it."""
    from surveys.services.calibration import calibration_create, calibration_rate

    invited = observers[:6]
    exercise = calibration_create(
        title="Bytte av mobilabonnement (telefon)",
        questionnaire=questionnaire,
        observers=invited,
        transcript=CALIBRATION_TRANSCRIPT,
        company=companies[0],
        channel="phone",
    )
    base = {
        "easy_to_reach": "easy",
        "greeting": "yes",
        "polite": "very",
        "engaged": "yes",
        "asked": "yes",
        "solution": "full",
        "callback_offered": "no",
        "valued": "yes",
        "would_buy": "yes",
        "csat": 4,
        "ces": 6,
        "nps": 8,
    }
    differences: list[dict[str, Any]] = [
        {},
        {"engaged": "no"},
        {"polite": "fairly", "csat": 5},
        {"asked": "no", "solution": "partial", "valued": "no", "nps": 6},
        {"would_buy": NA, "ces": 7},
    ]
    for observer, change in zip(invited[1:], differences, strict=True):
        calibration_rate(exercise=exercise, observer=observer, answers={**base, **change})


def _save_statuses(assignments: list[Assignment]) -> None:
    """One UPDATE per (status, outcome, reason) rather than one per row."""
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for a in assignments:
        groups[(a.status, a.outcome, a.return_reason)].append(a.pk)
    for (status, outcome, reason), pks in groups.items():
        for start in range(0, len(pks), 500):
            Assignment.objects.filter(pk__in=pks[start : start + 500]).update(
                status=status, outcome=outcome, return_reason=reason
            )


def _backdate(events: list[ReviewEvent], times: list[datetime]) -> None:
    """Give the events their real times: ``at`` is stamped with now on insert, and
    ``bulk_update`` builds a CASE per row (seconds for a few thousand), so one prepared
    UPDATE runs for all of them."""
    # Table and column names come from the model and are quoted; the values are parameters.
    quote = connection.ops.quote_name
    meta = ReviewEvent._meta
    table, column, pk = (quote(n) for n in (meta.db_table, meta.get_field("at").column, "id"))
    sql = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (connection.ops.adapt_datetimefield_value(at), event.pk)
                for event, at in zip(events, times, strict=True)
            ],
        )


def _answers(
    rng: random.Random, quality: float, wait: float, channels: list[str]
) -> dict[str, Any]:
    """An evaluation: better companies (quality near 1) earn more points."""

    def yes(p: float) -> str:
        return "yes" if rng.random() < p else "no"

    def level(values: list[str]) -> str:
        x = quality + rng.gauss(0, 0.2)
        return values[0] if x > 0.7 else values[1] if x > 0.4 else values[2]

    solution = level(["full", "partial", "none"])
    answers: dict[str, Any] = {
        "wait_minutes": round(wait, 1),
        "easy_to_reach": level(["easy", "some_effort", "hard"]),
        "greeting": yes(0.55 + 0.4 * quality),
        "polite": level(["very", "fairly", "not"]),
        "engaged": yes(0.3 + 0.6 * quality),
        "asked": yes(0.35 + 0.55 * quality),
        "solution": solution,
        "callback_offered": yes(0.25 if "phone" in channels else 0.05),
        "valued": yes(0.25 + 0.7 * quality),
        # A public-sector office sells nothing: "would you buy" does not apply.
        "would_buy": NA
        if "self_service" in channels and "email" not in channels
        else yes(0.2 + 0.75 * quality),
    }
    csat = max(1, min(5, round(1 + 4 * quality + rng.gauss(0, 0.6))))
    answers["csat"] = csat
    answers["ces"] = max(1, min(7, round(1 + 6 * quality + rng.gauss(0, 0.8))))
    answers["nps"] = max(0, min(10, round(10 * quality + rng.gauss(0, 1.5))))
    if solution == "none" and rng.random() < 0.5:
        answers["comment"] = "Fikk ikke svar på det jeg spurte om."
    return answers


def _company_quality(company_id: int) -> float:
    """Each company has its own level, between about 0.35 and 0.9."""
    return 0.35 + ((company_id * 37) % 11) / 20


def _wait_minutes(channel: str, rng: random.Random, quality: float) -> float:
    """A wait inside the channel's limit: seconds to minutes; hours for e-mail."""
    limit = scoring.wait_limit_minutes(channel)
    if channel in scoring.WAIT_LIMIT_WORKING_DAYS:
        return min(limit * 0.3, rng.expovariate(1 / (240 * (1.2 - quality))))
    return min(limit * 0.95, rng.expovariate(1 / (limit * 0.25 * (1.2 - quality))))


def _at(day: date, rng: random.Random) -> datetime:
    """A moment inside the weekday contact window (09–14:30) of ``day``."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    moment = time(rng.randint(9, 14), rng.choice([0, 10, 20, 30]))
    return timezone.make_aware(datetime.combine(day, moment))
