"""factory_boy factories for every app's models."""

import copy
import datetime
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from stdnum.no import orgnr

from surveys.models import (
    Channel,
    Company,
    Gender,
    Industry,
    Panelist,
    Questionnaire,
    Region,
    Study,
    StudyKind,
    Wave,
    WaveStatus,
)
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
