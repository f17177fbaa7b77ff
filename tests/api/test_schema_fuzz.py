"""Fuzz every API operation from its OpenAPI schema, as anonymous and as each role, with a fixed
seed: no server errors, responses as documented."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.cache import cache
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
# A fixed seed (derandomize) so CI fuzzes the same examples every run and a failure reproduces.
FUZZ_SETTINGS: dict[str, Any] = {
    "phases": [Phase.explicit, Phase.generate],
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
}
FUZZ = hypothesis_settings(max_examples=20, **FUZZ_SETTINGS)
# Each example is sent as every role, so a role's examples cost one strategy per operation.
FUZZ_ROLES = hypothesis_settings(max_examples=16, **FUZZ_SETTINGS)
# One test runs every operation's examples; pytest's default timeout is per test.
pytestmark = pytest.mark.timeout(1800)


def call(case: Any, user: Any = None) -> None:
    """Send the case as ``user`` (anonymous without) and check every documented promise."""
    # Each case starts with fresh rate-limit counters: the fuzzer sends thousands of requests
    # from one address, and the throttles' 429s are tested elsewhere.
    cache.clear()
    headers = {}
    if user is not None:
        headers["Authorization"] = f"Token {Token.objects.get_or_create(user=user)[0].key}"
    case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)


def role_user(role: str) -> Any:
    found = get_user_model().objects.filter(username=f"fuzz-{role}").first()
    return found or UserFactory(username=f"fuzz-{role}", roles=[role])


@schema.parametrize()
@FUZZ
def test_api_as_anonymous(case: Any) -> None:
    call(case)


@schema.parametrize()
@FUZZ_ROLES
def test_api_as_each_role(case: Any) -> None:
    """Every example as every role in turn: the roles an operation is for exercise it, the
    others must be refused as the schema documents."""
    for role in Role:
        try:
            call(case, role_user(role))
        except Exception as failure:
            failure.add_note(f"as {role.value}")
            raise


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
        user = role_user(Role.QA_REVIEWER)
    else:
        target = _answered_assignment(wave)
        user = target.observer.user
    if case.path_parameters and "id" in case.path_parameters:
        case.path_parameters["id"] = target.pk
    call(case, user)


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
