"""factory_boy factories for every app's models."""

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from stdnum.no import orgnr

from surveys.models import Channel, Company, Industry

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
