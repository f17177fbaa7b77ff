"""Planning an observation wave: the distribution key, the planner run, single moves."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from kundeservice.errors import DomainError
from kundeservice.jobs import job_fail, job_finish, job_start
from kundeservice.models import Job, JobStatus
from kundeservice.tasks import enqueue_on_commit
from surveys.models import (
    STARTED_STATUSES,
    Assignment,
    AssignmentStatus,
    Channel,
    Company,
    ObservationSetup,
    Observer,
    StudyKind,
    Wave,
)
from surveys.planning import CompanyIn, Infeasible, ObserverIn, PlanInput, Slot, plan
from surveys.planning_check import plan_violations

SETUP_FIELDS = (
    "contacts_per_company",
    "weeks",
    "window_start",
    "window_end",
    "wait_time_share",
    "max_per_observer_company",
    "seed",
    "scenario",
)


def observation_setup_save(
    *, wave: Wave, companies: Iterable[Company], channel_shares: dict[str, Any], **fields: Any
) -> ObservationSetup:
    """Create or update the distribution key of an observation wave."""
    if wave.study.kind != StudyKind.OBSERVATION:
        raise DomainError(_("Only mystery-shopping waves have a distribution key."))
    unknown = set(fields) - set(SETUP_FIELDS)
    if unknown:
        raise DomainError(_("Unknown setting: %(s)s.") % {"s": ", ".join(sorted(unknown))})
    shares = _clean_shares(channel_shares)
    with transaction.atomic():
        setup, _created = ObservationSetup.objects.get_or_create(wave=wave)
        for name, value in fields.items():
            setattr(setup, name, value)
        setup.channel_shares = shares
        setup.full_clean(exclude=["wave"])
        setup.save()
        setup.companies.set(list(companies))
    return setup


def _clean_shares(shares: Any) -> dict[str, float]:
    if not isinstance(shares, dict) or not shares:
        raise DomainError(
            _("The distribution key needs a share for at least one channel."), code="shares"
        )
    cleaned: dict[str, float] = {}
    for channel, share in shares.items():
        if channel not in Channel.values:
            raise DomainError(_("Unknown channel: %(c)s.") % {"c": channel}, code="shares")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise DomainError(
                _("The share for %(c)s must be a number from 0 to 1.") % {"c": channel},
                code="shares",
            )
        cleaned[channel] = float(share)
    if sum(cleaned.values()) <= 0:
        raise DomainError(_("The shares of the distribution key add up to zero."), code="shares")
    return cleaned


def plan_input_for(*, wave: Wave) -> PlanInput:
    """The planner's view of a wave: its companies, the available observers, what is kept."""
    setup = ObservationSetup.objects.filter(wave=wave).first()
    if setup is None:
        raise DomainError(_("Set the distribution key for this wave before planning."))
    companies = [
        CompanyIn(id=c.pk, name=c.name, channels=frozenset(c.channels or ()))
        for c in setup.companies.order_by("pk")
    ]
    observers = [
        ObserverIn(
            id=o.pk,
            name=str(o),
            weekly_capacity=o.weekly_capacity,
            channels=frozenset(o.channels or ()),
            conflicts=frozenset(c.pk for c in o.conflicts.all()),
        )
        for o in Observer.objects.filter(active=True, trained=True, user__is_active=True)
        .select_related("user")
        .prefetch_related("conflicts")
        .order_by("pk")
    ]
    kept = [
        Slot(week=a.week, company=a.company_id, channel=a.channel, observer=a.observer_id)
        for a in Assignment.objects.filter(wave=wave, status__in=STARTED_STATUSES)
    ]
    return PlanInput(
        companies=companies,
        observers=observers,
        shares=dict(setup.channel_shares),
        contacts_per_company=setup.contacts_per_company,
        weeks=setup.weeks,
        max_per_observer_company=setup.max_per_observer_company,
        seed=setup.seed,
        kept=kept,
    )


def assignments_plan(*, wave: Wave) -> int:
    """Plan (or plan again) every contact of the wave; returns how many were planned.

    Assignments already started, submitted or reviewed are kept; planned ones are replaced.
    If any rule cannot be met, nothing changes and the error lists each problem."""
    data = plan_input_for(wave=wave)
    try:
        slots = plan(data)
    except Infeasible as exc:
        raise DomainError([p.message for p in exc.problems], code="infeasible") from exc
    violations = plan_violations(data, slots)
    if violations:  # the independent check disagrees with the planner: refuse, loudly
        raise DomainError(
            _("The plan failed its own check: %(v)s") % {"v": "; ".join(violations[:5])}
        )
    scenario = ObservationSetup.objects.get(wave=wave).scenario
    with transaction.atomic():
        Wave.objects.select_for_update().get(pk=wave.pk)
        Assignment.objects.filter(wave=wave, status=AssignmentStatus.PLANNED).delete()
        Assignment.objects.bulk_create(
            [
                Assignment(
                    wave=wave,
                    observer_id=s.observer,
                    company_id=s.company,
                    channel=s.channel,
                    week=s.week,
                    scenario=scenario,
                )
                for s in slots
            ],
            batch_size=1000,
        )
    return len(slots)


def assignments_plan_start(*, wave: Wave, user: Any = None) -> Job:
    """Queue a planner run on the ``default`` queue; the job reports its progress."""
    if not ObservationSetup.objects.filter(wave=wave).exists():
        raise DomainError(_("Set the distribution key for this wave before planning."))
    running = Job.objects.filter(
        kind="plan_assignments",
        subject=f"wave:{wave.pk}",
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
    ).first()
    if running is not None:
        return running
    job = Job.objects.create(
        kind="plan_assignments",
        subject=f"wave:{wave.pk}",
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    from surveys.tasks import plan_assignments

    enqueue_on_commit(plan_assignments, job_id=job.pk, wave_id=wave.pk)
    return job


def assignments_plan_run(*, job_id: int, wave_id: int) -> dict[str, Any]:
    """The task's body: run the planner for the job, recording success or the problems."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
        return {"skipped": True}
    job_start(job_id=job_id, total=1)
    try:
        planned = assignments_plan(wave=Wave.objects.get(pk=wave_id))
    except DomainError as exc:
        # The message column is short; the result keeps every problem for the staff page.
        Job.objects.filter(pk=job_id).update(result={"problems": exc.messages})
        job_fail(job_id=job_id, message=" ".join(exc.messages))
        return {"planned": 0, "problems": exc.messages}
    Job.objects.filter(pk=job_id).update(done=1)
    job_finish(
        job_id=job_id,
        result={"planned": planned},
        message=_("%(n)s contacts planned.") % {"n": planned},
    )
    return {"planned": planned}


def assignment_move(
    *, assignment: Assignment, observer: Observer | None = None, week: int | None = None
) -> Assignment:
    """Give one planned contact another observer and/or week, under the planner's rules."""
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.status != AssignmentStatus.PLANNED:
            raise ConflictMove(_("Only contacts not yet started can be moved."))
        setup = ObservationSetup.objects.get(wave_id=assignment.wave_id)
        new_observer = observer or assignment.observer
        new_week = week if week is not None else assignment.week
        errors = _move_errors(assignment, new_observer, new_week, setup)
        if errors:
            raise DomainError(errors, code="move")
        assignment.observer = new_observer
        assignment.week = new_week
        assignment.save(update_fields=["observer", "week", "updated_at"])
    return assignment


class ConflictMove(DomainError):
    status_code = 409


def _move_errors(
    assignment: Assignment, observer: Observer, week: int, setup: ObservationSetup
) -> dict[str, list[str]]:
    """Every rule the move breaks, keyed by the field to change: ``observer`` or ``week``."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not 1 <= week <= setup.weeks:
        add("week", _("The week must be from 1 to %(n)s.") % {"n": setup.weeks})
    if not (observer.active and observer.trained):
        add("observer", _("%(o)s is not an active, trained observer.") % {"o": observer})
    if assignment.channel not in (observer.channels or ()):
        add(
            "observer",
            _("%(o)s does not do %(c)s.") % {"o": observer, "c": assignment.get_channel_display()},
        )
    if observer.conflicts.filter(pk=assignment.company_id).exists():
        add(
            "observer",
            _("%(o)s is a customer of %(c)s and must not test it.")
            % {"o": observer, "c": assignment.company},
        )
    others = Assignment.objects.filter(wave_id=assignment.wave_id).exclude(pk=assignment.pk)
    same_company = others.filter(observer=observer, company_id=assignment.company_id)
    if same_company.filter(channel=assignment.channel).exists():
        add(
            "observer",
            _("%(o)s already tests %(c)s in this channel.")
            % {"o": observer, "c": assignment.company},
        )
    if same_company.count() >= setup.max_per_observer_company:
        add(
            "observer",
            _("%(o)s already has %(n)s contacts with %(c)s.")
            % {"o": observer, "n": setup.max_per_observer_company, "c": assignment.company},
        )
    if others.filter(observer=observer, week=week).count() >= observer.weekly_capacity:
        add(
            "week" if week != assignment.week else "observer",
            _("%(o)s has no room left in week %(w)s.") % {"o": observer, "w": week},
        )
    if week != assignment.week:
        per_week = dict(
            others.filter(company_id=assignment.company_id)
            .values_list("week")
            .annotate(n=Count("id"))
            .values_list("week", "n")
        )
        per_week[week] = per_week.get(week, 0) + 1
        counts = [per_week.get(w, 0) for w in range(1, setup.weeks + 1)]
        if max(counts) - min(counts) > 1:
            add(
                "week",
                _(
                    "Moving it to week %(w)s would spread %(c)s's contacts unevenly "
                    "over the weeks; swap it with a contact from that week instead."
                )
                % {"w": week, "c": assignment.company},
            )
    return errors
