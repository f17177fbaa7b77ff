"""Planning an observation wave through the service: the database gets exactly the plan, a
re-plan keeps started contacts, an infeasible wave changes nothing, and single moves obey the
planner's rules."""

import dataclasses
from collections import Counter

import pytest
from django.utils import translation

from kundeservice.errors import DomainError
from kundeservice.models import Job, JobStatus
from surveys.models import Assignment, AssignmentStatus, Channel, ObservationSetup
from surveys.planning import Slot
from surveys.planning_check import plan_violations
from surveys.services.assignments import (
    assignment_move,
    assignments_plan,
    assignments_plan_start,
    observation_setup_save,
    plan_input_for,
)
from tests.factories import CompanyFactory, ObserverFactory, UserFactory, observation_wave

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


ALL = [Channel.PHONE, Channel.CHAT, Channel.EMAIL, Channel.SOCIAL]


def setup_wave(companies: int = 4, observers: int = 12, per: int = 8, weeks: int = 4):
    wave = observation_wave(weeks=weeks)
    comps = [CompanyFactory(channels=[c.value for c in ALL]) for _ in range(companies)]
    obs = ObserverFactory.create_batch(observers, weekly_capacity=3)
    observation_setup_save(
        wave=wave,
        companies=comps,
        channel_shares={"phone": 0.5, "chat": 0.25, "email": 0.25},
        contacts_per_company=per,
        weeks=weeks,
        scenario="Spør om flytting.",
    )
    return wave, comps, obs


def violations(wave):
    """The independent checker over every assignment now in the database."""
    return plan_violations(dataclasses.replace(plan_input_for(wave=wave), kept=[]), slots_of(wave))


def slots_of(wave):
    return [
        Slot(a.week, a.company_id, a.channel, a.observer_id)
        for a in Assignment.objects.filter(wave=wave)
    ]


def test_plan_writes_every_contact_and_passes_the_check():
    wave, comps, _obs = setup_wave()
    assert assignments_plan(wave=wave) == 32
    assert violations(wave) == []
    rows = Assignment.objects.filter(wave=wave)
    assert rows.count() == 32
    assert Counter(a.company_id for a in rows) == dict.fromkeys((c.pk for c in comps), 8)
    assert {a.scenario for a in rows} == {"Spør om flytting."}
    assert set(rows.values_list("channel", flat=True)) == {"phone", "chat", "email"}


def test_replanning_keeps_started_and_replaces_planned():
    wave, _comps, _obs = setup_wave()
    assignments_plan(wave=wave)
    started = list(Assignment.objects.filter(wave=wave).order_by("pk")[:5])
    Assignment.objects.filter(pk__in=[a.pk for a in started]).update(
        status=AssignmentStatus.SUBMITTED
    )
    setup = ObservationSetup.objects.get(wave=wave)
    setup.seed = 42
    setup.save()
    assert assignments_plan(wave=wave) == 27
    kept = Assignment.objects.filter(pk__in=[a.pk for a in started])
    assert kept.count() == 5
    assert all(a.status == AssignmentStatus.SUBMITTED for a in kept)
    assert Assignment.objects.filter(wave=wave).count() == 32


def test_infeasible_wave_changes_nothing_and_names_the_problem():
    wave, comps, obs = setup_wave()
    assignments_plan(wave=wave)
    before = sorted(slots_of(wave))
    for o in obs:
        o.conflicts.add(comps[0])
    with pytest.raises(DomainError) as exc:
        assignments_plan(wave=wave)
    assert comps[0].name in " ".join(exc.value.messages)
    assert sorted(slots_of(wave)) == before


def test_no_setup_is_refused():
    wave = observation_wave()
    ObservationSetup.objects.filter(wave=wave).delete()
    with pytest.raises(DomainError, match="distribution key"):
        assignments_plan(wave=wave)


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ({}, "at least one channel"),
        ({"fax": 1}, "Unknown channel"),
        ({"phone": 2}, "from 0 to 1"),
        ({"phone": "0.5"}, "from 0 to 1"),
        ({"phone": 0, "chat": 0}, "add up to zero"),
    ],
)
def test_bad_distribution_keys_are_refused(shares, message):
    wave = observation_wave()
    with pytest.raises(DomainError, match=message):
        observation_setup_save(wave=wave, companies=[], channel_shares=shares)


def test_plan_runs_as_a_job(django_capture_on_commit_callbacks):
    wave, _comps, _obs = setup_wave()
    with django_capture_on_commit_callbacks(execute=True):
        job = assignments_plan_start(wave=wave, user=UserFactory())
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.result == {"planned": 32}
    assert Assignment.objects.filter(wave=wave).count() == 32


def test_failed_plan_job_reports_the_problems(django_capture_on_commit_callbacks):
    wave, comps, obs = setup_wave()
    for o in obs:
        o.conflicts.add(comps[1])
    with django_capture_on_commit_callbacks(execute=True):
        job = assignments_plan_start(wave=wave)
    job = Job.objects.get(pk=job.pk)
    assert job.status == JobStatus.FAILED
    assert comps[1].name in job.message


def test_move_to_an_observer_who_is_a_customer_is_refused():
    wave, _comps, obs = setup_wave()
    assignments_plan(wave=wave)
    a = Assignment.objects.filter(wave=wave).first()
    other = next(o for o in obs if o.pk != a.observer_id)
    other.conflicts.add(a.company)
    with pytest.raises(DomainError, match="customer"):
        assignment_move(assignment=a, observer=other)
    a.refresh_from_db()
    assert a.observer_id != other.pk


def test_move_refuses_a_second_contact_in_the_same_channel():
    wave, _comps, _obs = setup_wave()
    assignments_plan(wave=wave)
    rows = list(Assignment.objects.filter(wave=wave))
    a = rows[0]
    twin = next(
        r for r in rows if r.company_id == a.company_id and r.channel == a.channel and r != a
    )
    with pytest.raises(DomainError, match="already tests"):
        assignment_move(assignment=a, observer=twin.observer)


def test_move_to_another_observer_and_week_when_allowed():
    wave, _comps, _obs = setup_wave()
    assignments_plan(wave=wave)
    a = Assignment.objects.filter(wave=wave).first()
    fresh = ObserverFactory(weekly_capacity=3)
    moved = assignment_move(assignment=a, observer=fresh)
    assert moved.observer == fresh
    assert violations(wave) == []


def test_a_started_contact_cannot_be_moved():
    wave, _comps, _obs = setup_wave()
    assignments_plan(wave=wave)
    a = Assignment.objects.filter(wave=wave).first()
    Assignment.objects.filter(pk=a.pk).update(status=AssignmentStatus.IN_PROGRESS)
    with pytest.raises(DomainError) as exc:
        assignment_move(assignment=a, week=2)
    assert exc.value.status_code == 409
