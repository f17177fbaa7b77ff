"""Fuzz every API operation from its OpenAPI schema: no server errors, responses as documented."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import positive_data_acceptance

from kundeservice.roles import Role
from kundeservice.wsgi import application
from surveys.models import Assignment, AssignmentStatus, ContactOutcome, Wave
from tests.factories import (
    AssignmentFactory,
    CompanyFactory,
    IndustryFactory,
    UserFactory,
    observation_wave,
    record_answered,
    submitted_report,
)


@pytest.fixture
def api_schema(db: None) -> Iterator[Any]:
    IndustryFactory(slug="bank")
    CompanyFactory.create_batch(3)
    # As Django's test client does: the WSGI handler must not close the connection that holds
    # the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")
# Schema-valid input may still break a domain rule (an organisation number's check digit, wrong
# credentials): a 400 with a message is the right answer there, so that check does not apply.
EXCLUDED = [positive_data_acceptance]
FUZZ = hypothesis_settings(
    max_examples=15,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@schema.parametrize()
@FUZZ
def test_api_as_anonymous(case: Any) -> None:
    case.call_and_validate(excluded_checks=EXCLUDED)


@schema.parametrize()
@FUZZ
def test_api_as_staff_admin(case: Any) -> None:
    token = Token.objects.get_or_create(user=UserFactory(roles=[Role.STAFF_ADMIN]))[0]
    case.call_and_validate(
        headers={"Authorization": f"Token {token.key}"}, excluded_checks=EXCLUDED
    )


# The observer and QA endpoints answer anyone else with 403 or 404 before reading a body, so they
# are also fuzzed as the user they are for, on an object that user may change: the observer's own
# answered assignment, and a report waiting for QA.
fieldwork_schema = schema.include(path_regex=r"/(fieldwork|reviews)/")


@fieldwork_schema.parametrize()
@FUZZ
def test_fieldwork_api_as_its_users_on_their_own_objects(case: Any) -> None:
    wave = Wave.objects.filter(slug="fuzz").first() or observation_wave(slug="fuzz")
    if "/reviews/" in case.path:
        target = _waiting_report(wave)
        user = get_user_model().objects.filter(username="fuzz-qa").first() or UserFactory(
            username="fuzz-qa", roles=[Role.QA_REVIEWER]
        )
    else:
        target = _answered_assignment(wave)
        user = target.observer.user
    if case.path_parameters and "id" in case.path_parameters:
        case.path_parameters["id"] = target.pk
    token = Token.objects.get_or_create(user=user)[0]
    case.call_and_validate(
        headers={"Authorization": f"Token {token.key}"}, excluded_checks=EXCLUDED
    )


def _answered_assignment(wave: Wave) -> Assignment:
    found = Assignment.objects.filter(
        wave=wave, status=AssignmentStatus.IN_PROGRESS, outcome=ContactOutcome.ANSWERED
    ).first()
    if found is None:
        found = AssignmentFactory(wave=wave)
        record_answered(found)
    return found


def _waiting_report(wave: Wave) -> Assignment:
    found = Assignment.objects.filter(wave=wave, status=AssignmentStatus.SUBMITTED).first()
    return found or submitted_report(AssignmentFactory(wave=wave))
