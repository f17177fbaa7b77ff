"""factory_boy factories for every app's models."""

import copy
import datetime
import itertools
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from stdnum.no import orgnr

from kundeservice.roles import Role
from surveys.models import (
    Assignment,
    Channel,
    Company,
    Gender,
    Industry,
    ObservationSetup,
    Observer,
    Panelist,
    Questionnaire,
    Region,
    Study,
    StudyKind,
    Wave,
    WaveStatus,
)
from surveys.services.fieldwork import attempt_record, evaluation_submit
from surveys.services.invitations import invitations_create
from surveys.services.questionnaires import questionnaire_create
from surveys.services.responding import token_for
from surveys.specs import KSINDEKS

TEST_PASSWORD = "test-passord-123"


def valid_org_number(n: int) -> str:
    """A valid organisation number derived from ``n`` (8xxxxxxxx, apart from the demo range)."""
    base = 81_000_000 + n * 13
    while True:
        stem = f"{base:08d}"
        for digit in "0123456789":
            if orgnr.is_valid(stem + digit):
                return stem + digit
        base += 1


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.no")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            for role in extracted:
                group, _ = Group.objects.get_or_create(name=str(role))
                self.groups.add(group)


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"bransje-{n}")
    name = factory.Sequence(lambda n: f"Bransje {n}")
    name_en = factory.Sequence(lambda n: f"Industry {n}")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Testselskap {n} AS")
    slug = factory.Sequence(lambda n: f"testselskap-{n}")
    org_number = factory.Sequence(valid_org_number)
    industry = factory.SubFactory(IndustryFactory)
    channels = factory.LazyFunction(
        lambda: [Channel.PHONE.value, Channel.CHAT.value, Channel.EMAIL.value]
    )


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"studie-{n}")
    name = factory.Sequence(lambda n: f"Studie {n}")
    kind = StudyKind.PANEL


def ksindeks_questionnaire() -> Questionnaire:
    return questionnaire_create(spec=copy.deepcopy(KSINDEKS))


class WaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wave

    study = factory.SubFactory(StudyFactory)
    slug = factory.Sequence(lambda n: f"bolge-{n}")
    name = factory.Sequence(lambda n: f"Bølge {n}")
    questionnaire = factory.LazyFunction(ksindeks_questionnaire)
    starts_on = factory.LazyFunction(lambda: datetime.date(2026, 1, 1))
    ends_on = factory.LazyFunction(lambda: datetime.date(2026, 12, 31))
    status = WaveStatus.OPEN


class PanelistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Panelist

    email = factory.Sequence(lambda n: f"panelist{n}@example.no")
    gender = Gender.FEMALE
    birth_year = 1980
    region = Region.OSLO


def invite(wave: Wave, panelist: Panelist | None = None) -> str:
    """Invite one panelist to ``wave`` and return the link's token."""
    panelist = panelist or PanelistFactory()
    invitations_create(wave=wave, panelists=[panelist])
    return token_for(wave_id=wave.pk, panelist_id=panelist.pk)


def poll_wave(**kwargs: Any) -> Wave:
    """An open poll at /p/<open_slug>/, collecting from ten days ago to ten days ahead."""
    today = timezone.localdate()
    defaults: dict[str, Any] = {
        "study": StudyFactory(slug="avstemninger", name="Avstemninger", kind=StudyKind.POLL),
        "open_slug": f"avstemning-{next(_poll_numbers)}",
        "starts_on": today - datetime.timedelta(days=10),
        "ends_on": today + datetime.timedelta(days=10),
    }
    return WaveFactory(**{**defaults, **kwargs})


_poll_numbers = itertools.count(1)


#: An evaluation form as DOMAIN.md describes one: weighted performance areas, scored questions
#: with a 0-point option, an unscored one (callback offered), N/A where the form allows it
#: (would you buy) and a CX item that is reported but never counted.
EVALUATION: dict[str, Any] = {
    "slug": "kundeserviceprisen",
    "kind": "evaluation",
    "title": "Evaluering av kontakten",
    "title_en": "Evaluation of the contact",
    "sections": [
        {
            "key": "availability",
            "title": "Tilgjengelighet",
            "title_en": "Availability",
            "weight": 1,
            "questions": [
                {
                    "key": "easy_to_reach",
                    "type": "single_choice",
                    "scored": True,
                    "text": "Hvor lett var det å komme fram?",
                    "text_en": "How easy was it to get through?",
                    "options": [
                        {"value": "easy", "label": "Lett", "label_en": "Easy", "points": 2},
                        {
                            "value": "some_effort",
                            "label": "Noe strev",
                            "label_en": "Some effort",
                            "points": 1,
                        },
                        {"value": "hard", "label": "Vanskelig", "label_en": "Hard", "points": 0},
                    ],
                },
            ],
        },
        {
            "key": "agent",
            "title": "Kundebehandleren",
            "title_en": "The agent",
            "weight": 2,
            "questions": [
                {
                    "key": "greeting",
                    "type": "yes_no",
                    "scored": True,
                    "text": "Presenterte kundebehandleren seg?",
                    "text_en": "Did the agent introduce themselves?",
                },
                {
                    "key": "polite",
                    "type": "single_choice",
                    "scored": True,
                    "weight": 2,
                    "text": "Hvor høflig var kundebehandleren?",
                    "text_en": "How polite was the agent?",
                    "options": [
                        {"value": "very", "label": "Svært", "label_en": "Very", "points": 2},
                        {"value": "ok", "label": "Greit", "label_en": "Fairly", "points": 1},
                        {"value": "not", "label": "Lite", "label_en": "Not much", "points": 0},
                    ],
                },
            ],
        },
        {
            "key": "needs",
            "title": "Behov og løsning",
            "title_en": "Needs and solution",
            "weight": 2,
            "questions": [
                {
                    "key": "understood",
                    "type": "yes_no",
                    "scored": True,
                    "text": "Forsto kundebehandleren hva du trengte?",
                    "text_en": "Did the agent understand what you needed?",
                },
                {
                    "key": "solution",
                    "type": "single_choice",
                    "scored": True,
                    "weight": 2,
                    "text": "Fikk du en løsning?",
                    "text_en": "Did you get a solution?",
                    "options": [
                        {"value": "full", "label": "Ja, helt", "label_en": "Fully", "points": 2},
                        {"value": "partial", "label": "Delvis", "label_en": "Partly", "points": 1},
                        {"value": "none", "label": "Nei", "label_en": "No", "points": 0},
                    ],
                },
                {
                    "key": "callback_offered",
                    "type": "yes_no",
                    "text": "Ble du tilbudt å bli ringt opp?",
                    "text_en": "Were you offered a callback?",
                },
            ],
        },
        {
            "key": "overall",
            "title": "Totalinntrykk",
            "title_en": "Overall impression",
            "weight": 1,
            "questions": [
                {
                    "key": "valued",
                    "type": "yes_no",
                    "scored": True,
                    "text": "Følte du deg verdsatt?",
                    "text_en": "Did you feel valued?",
                },
                {
                    "key": "would_buy",
                    "type": "yes_no",
                    "scored": True,
                    "allow_na": True,
                    "text": "Ville du handlet med dette selskapet basert på denne dialogen?",
                    "text_en": "Would you buy from this company based on this dialogue?",
                },
                {
                    "key": "csat",
                    "type": "rating",
                    "scale": [1, 5],
                    "role": "cx",
                    "text": "Hvor fornøyd var du med dialogen?",
                    "text_en": "How satisfied were you with the dialogue?",
                },
                {
                    "key": "comment",
                    "type": "text",
                    "required": False,
                    "text": "Kommentar til kontakten",
                    "text_en": "Comment on the contact",
                },
            ],
        },
    ],
}
#: Answers to ``EVALUATION`` that earn every point.
EVALUATION_BEST: dict[str, Any] = {
    "easy_to_reach": "easy",
    "greeting": "yes",
    "polite": "very",
    "understood": "yes",
    "solution": "full",
    "callback_offered": "no",
    "valued": "yes",
    "would_buy": "yes",
    "csat": 5,
}


def evaluation_questionnaire() -> Questionnaire:
    return questionnaire_create(spec=copy.deepcopy(EVALUATION))


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def observation_wave(
    *, starts_on: datetime.date | None = None, weeks: int = 16, **kwargs: Any
) -> Wave:
    """A collecting mystery-shopping wave with the evaluation form and a distribution key.

    Week 1 starts on ``starts_on`` (a Monday; by default 5 January 2026)."""
    start = starts_on or datetime.date(2026, 1, 5)
    defaults: dict[str, Any] = {
        "study": StudyFactory(
            slug="kundeserviceprisen", name="Kundeserviceprisen", kind=StudyKind.OBSERVATION
        ),
        "questionnaire": evaluation_questionnaire(),
        "starts_on": start,
        "ends_on": start + datetime.timedelta(weeks=weeks, days=-1),
    }
    wave = WaveFactory(**{**defaults, **kwargs})
    ObservationSetup.objects.create(wave=wave, weeks=weeks)
    return wave


class ObserverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Observer

    user = factory.SubFactory(UserFactory, roles=[Role.OBSERVER])
    trained = True
    channels = factory.LazyFunction(
        lambda: [Channel.PHONE.value, Channel.CHAT.value, Channel.EMAIL.value, Channel.SOCIAL.value]
    )


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    wave = factory.LazyFunction(observation_wave)
    observer = factory.SubFactory(ObserverFactory)
    company = factory.SubFactory(CompanyFactory)
    channel = Channel.PHONE
    week = 1
    scenario = "Spør hva det koster å flytte abonnementet til en ny adresse."


def in_week(assignment: Assignment, *, day: int = 0, hour: int = 10, minute: int = 0) -> Any:
    """An aware local time in the assignment's planned week: ``day`` 0 is its Monday."""
    first_monday = monday_of(assignment.wave.starts_on)
    day_in_week = first_monday + datetime.timedelta(weeks=assignment.week - 1, days=day)
    return timezone.make_aware(datetime.datetime.combine(day_in_week, datetime.time(hour, minute)))


def record_answered(assignment: Assignment, *, waited_seconds: int = 60, day: int = 0) -> None:
    """The assignment's observer records an answered attempt, ``waited_seconds`` after calling."""
    started = in_week(assignment, day=day)
    attempt_record(
        assignment=assignment,
        user=assignment.observer.user,
        started_at=started,
        answered_at=started + datetime.timedelta(seconds=waited_seconds),
        result="answered",
    )


def submitted_report(assignment: Assignment | None = None, **answers: Any) -> Assignment:
    """An answered contact whose evaluation (the best answers unless given) is handed in."""
    assignment = assignment or AssignmentFactory()
    record_answered(assignment)
    evaluation_submit(
        assignment=assignment,
        user=assignment.observer.user,
        answers={**EVALUATION_BEST, **answers},
    )
    return assignment


def calibration_exercise(*, observers: int = 2, **kwargs: Any) -> Any:
    """A calibration exercise on the evaluation form with a transcript and ``observers``
    invited observers."""
    from surveys.services.calibration import calibration_create

    defaults: dict[str, Any] = {
        "title": "Oppsigelse av mobilabonnement",
        "questionnaire": evaluation_questionnaire(),
        "observers": ObserverFactory.create_batch(observers),
        "transcript": "Kundebehandler: Hei, du snakker med Kari.\nObservatør: Jeg vil si opp.",
    }
    return calibration_create(**{**defaults, **kwargs})


def aggregated_wave(*, public: bool = True, scores: tuple[float, ...] = (70.0, 80.0)) -> Any:
    """An observation wave with approved contacts of one company by phone, aggregated (minimum
    n 1): its current ``ResultSet``. ``public`` publishes the results."""
    from surveys.models import Response, ResponseSource, ResponseStatus, ResultSet
    from surveys.services.aggregation import aggregation_run

    company = CompanyFactory(channels=["phone"])
    wave = observation_wave(minimum_n=1, is_public=public)
    for score in scores:
        Response.objects.create(
            wave=wave,
            source=ResponseSource.OBSERVER,
            company=company,
            channel="phone",
            status=ResponseStatus.APPROVED,
            submitted_at=timezone.make_aware(
                datetime.datetime.combine(wave.starts_on, datetime.time(12))
            ),
            score=score,
            section_scores={"agent": score},
        )
    result_set = ResultSet.objects.create(wave=wave, cutoff=wave.ends_on, is_final=True)
    aggregation_run(result_set_id=result_set.pk)
    result_set.refresh_from_db()
    return result_set


def webhook_endpoint(url: str = "http://127.0.0.1:9/hooks") -> Any:
    """A webhook endpoint for ``response.saved`` (port 9 discards: deliveries to it fail)."""
    from webhooks.services.endpoints import webhook_endpoint_create

    endpoint, _secret = webhook_endpoint_create(
        url=url, event_types=["response.saved"], owner=UserFactory(roles=["staff_admin"])
    )
    return endpoint


def webhook_delivery() -> Any:
    """A delivery of a test event to a new endpoint, waiting to be sent."""
    from webhooks.models import WebhookDelivery
    from webhooks.registry import EVENT_TYPES, TEST_EVENT
    from webhooks.services.events import event_row

    endpoint = webhook_endpoint()
    event = event_row(kind=EVENT_TYPES[TEST_EVENT], subject=endpoint, at=timezone.now())
    event.dispatched = True
    event.save()
    return WebhookDelivery.objects.create(endpoint=endpoint, event=event)
