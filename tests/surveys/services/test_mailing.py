"""Invitations and reminders: batches, progress, an SMTP outage mid-way, nobody mailed twice."""

import re
import smtplib
from collections import Counter
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from kundeservice.models import Job, JobStatus
from kundeservice.roles import Role
from surveys.models import Invitation, InvitationStatus, Panelist
from surveys.services.invitations import invitations_create, invitations_send_start
from surveys.services.mailing import invitations_send_batch
from surveys.tasks import send_due_reminders, send_invitations
from tests.factories import PanelistFactory, UserFactory, WaveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def wave_with_invitations(settings: Any) -> Any:
    settings.INVITATION_BATCH_SIZE = 7
    settings.SITE_URL = "https://ks.example.no"
    wave = WaveFactory()
    panelists = PanelistFactory.create_batch(20)
    PanelistFactory(unsubscribed_at=timezone.now())  # never invited
    assert invitations_create(wave=wave, panelists=Panelist.objects.all()) == 20
    assert all(p.invitations.exists() for p in panelists)
    return wave


def recipients() -> Counter[str]:
    return Counter(m.to[0] for m in mail.outbox)


def test_sending_mails_everyone_once_with_a_personal_link(
    wave_with_invitations: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = invitations_send_start(wave=wave_with_invitations)
    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.percent) == (JobStatus.DONE, 20, 20, 100)
    assert len(mail.outbox) == 20
    assert max(recipients().values()) == 1
    message = mail.outbox[0]
    link = re.search(r"https://ks\.example\.no/s/(\w+)/", message.body)
    assert link
    assert message.extra_headers["List-Unsubscribe"].startswith("<https://ks.example.no/u/")
    assert Invitation.objects.filter(status=InvitationStatus.SENT).count() == 20
    assert "Din siste kontakt med kundeservice" in message.subject


def test_smtp_outage_mid_way_is_retried_and_nobody_is_mailed_twice(
    wave_with_invitations: Any,
) -> None:
    real_send = EmailBackend.send_messages
    calls = {"n": 0}

    def flaky(self: EmailBackend, messages: Any) -> int:
        calls["n"] += 1
        if calls["n"] in {5, 6, 12}:  # the server drops out, three times
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, messages)

    attempts = 0
    with mock.patch.object(EmailBackend, "send_messages", flaky):
        while Invitation.objects.filter(status=InvitationStatus.PENDING).exists():
            attempts += 1
            try:
                invitations_send_batch(wave_id=wave_with_invitations.pk)
            except smtplib.SMTPException:
                continue  # what the task's retry does
    assert attempts > 3
    assert len(mail.outbox) == 20
    assert max(recipients().values()) == 1
    assert not Invitation.objects.exclude(status=InvitationStatus.SENT).exists()
    assert Invitation.objects.filter(send_attempts__gt=1).exists()


def test_the_task_reports_a_failing_mail_server_on_its_job(
    wave_with_invitations: Any, django_capture_on_commit_callbacks: Any
) -> None:
    broken = mock.patch.object(
        EmailBackend, "send_messages", side_effect=smtplib.SMTPConnectError(421, "busy")
    )
    with (
        broken,
        pytest.raises((smtplib.SMTPConnectError, Retry)),  # eager mode surfaces the retry
        django_capture_on_commit_callbacks(execute=True),
    ):
        invitations_send_start(wave=wave_with_invitations)
    job = Job.objects.get()
    assert job.status in {JobStatus.RUNNING, JobStatus.FAILED}
    assert job.message
    assert not mail.outbox
    assert Invitation.objects.filter(status=InvitationStatus.PENDING).count() == 20


def test_reminders_go_to_unfinished_after_the_delay_at_most_max_times(
    wave_with_invitations: Any,
) -> None:
    wave = wave_with_invitations
    invitations_send_batch(wave_id=wave.pk, batch_size=100)
    mail.outbox.clear()
    long_ago = timezone.now() - timedelta(days=wave.reminder_after_days + 1)
    Invitation.objects.update(sent_at=long_ago)
    done = Invitation.objects.all()[:5]
    Invitation.objects.filter(pk__in=[i.pk for i in done]).update(status=InvitationStatus.COMPLETED)

    assert send_due_reminders() == {wave.slug: 15}
    assert len(mail.outbox) == 15
    assert "Påminnelse" in mail.outbox[0].subject
    assert send_due_reminders() == {wave.slug: 0}  # not due again until the delay has passed
    for _ in range(5):
        Invitation.objects.update(reminded_at=long_ago)
        send_due_reminders()
    assert len(mail.outbox) == 15 * wave.max_reminders
    assert set(
        Invitation.objects.filter(status=InvitationStatus.SENT).values_list(
            "reminder_count", flat=True
        )
    ) == {wave.max_reminders}


def test_unsubscribe_link_works_and_stops_mail(client: Any, wave_with_invitations: Any) -> None:
    invitations_send_batch(wave_id=wave_with_invitations.pk, batch_size=100)
    first = mail.outbox[0]
    path = re.search(r"https://ks\.example\.no(/u/\w+/)", first.body).group(1)
    page = client.get(path)
    assert "Vil du slutte å få" in page.content.decode()
    assert (
        Panelist.objects.filter(unsubscribed_at__isnull=False).count() == 1
    )  # GET changes nothing
    done = client.post(path)  # also what a mail client's one-click unsubscribe does
    assert "Du er meldt av" in done.content.decode()
    panelist = Panelist.objects.get(email=first.to[0])
    assert panelist.unsubscribed_at is not None
    mail.outbox.clear()
    Invitation.objects.update(sent_at=timezone.now() - timedelta(days=30))
    send_due_reminders()
    assert panelist.email not in recipients()


def test_every_mail_carries_its_own_links(wave_with_invitations: Any) -> None:
    invitations_send_batch(wave_id=wave_with_invitations.pk, batch_size=100)
    tokens = set()
    for message in mail.outbox:
        link = re.search(r"https://ks\.example\.no/s/(\w+)/", message.body)
        unsubscribe = re.search(r"https://ks\.example\.no/u/(\w+)/", message.body)
        assert link
        assert unsubscribe
        assert link.group(1) == unsubscribe.group(1)
        assert message.extra_headers["List-Unsubscribe"] == (
            f"<https://ks.example.no/u/{link.group(1)}/>"
        )
        tokens.add(link.group(1))
    assert len(tokens) == len(mail.outbox) == 20


def test_a_batch_is_marked_sent_in_one_update(
    wave_with_invitations: Any, django_assert_max_num_queries: Any
) -> None:
    # Claim (lock, update, read back), one UPDATE marking the 20 sent, count what remains; a
    # row-by-row UPDATE would be 20 more.
    with django_assert_max_num_queries(7):
        batch = invitations_send_batch(wave_id=wave_with_invitations.pk, batch_size=100)
    assert (batch.sent, batch.remaining) == (20, 0)
    assert (
        Invitation.objects.filter(status=InvitationStatus.SENT, sent_at__isnull=False).count() == 20
    )
    assert set(Invitation.objects.values_list("send_attempts", flat=True)) == {1}


def test_a_failure_part_way_keeps_what_the_server_accepted(wave_with_invitations: Any) -> None:
    real_send = EmailBackend.send_messages
    calls = {"n": 0}

    def drops_on_the_fourth(self: EmailBackend, messages: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 4:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, messages)

    with (
        mock.patch.object(EmailBackend, "send_messages", drops_on_the_fourth),
        pytest.raises(smtplib.SMTPServerDisconnected),
    ):
        invitations_send_batch(wave_id=wave_with_invitations.pk)  # a batch of 7
    sent = Invitation.objects.filter(status=InvitationStatus.SENT)
    assert sorted(sent.values_list("panelist__email", flat=True)) == sorted(recipients())
    assert len(mail.outbox) == 3
    back = Invitation.objects.filter(status=InvitationStatus.PENDING)
    assert back.count() == 17
    assert back.filter(last_error__startswith="SMTPServerDisconnected").count() == 4


def test_parallel_lanes_share_the_wave_and_the_last_one_finishes_the_job(
    wave_with_invitations: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.INVITATION_SEND_LANES = 3
    with (
        mock.patch.object(
            send_invitations, "apply_async", wraps=send_invitations.apply_async
        ) as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = invitations_send_start(wave=wave_with_invitations)
    assert queued.call_count == 3  # the first run, and the two lanes it opened
    job.refresh_from_db()
    assert (job.status, job.done, job.result) == (JobStatus.DONE, 20, {"sent": 20, "refused": 0})
    assert len(mail.outbox) == 20
    assert max(recipients().values()) == 1


def test_job_progress_counts_the_mails_sent_before_an_outage(
    wave_with_invitations: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.INVITATION_SEND_LANES = 1
    real_send = EmailBackend.send_messages
    calls = {"n": 0}

    def drops_once(self: EmailBackend, messages: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 5:  # four of the first batch of seven went out
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, messages)

    with (
        mock.patch.object(EmailBackend, "send_messages", drops_once),
        mock.patch.object(
            send_invitations, "apply_async", wraps=send_invitations.apply_async
        ) as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        invitations_send_start(wave=wave_with_invitations)
    # The lane sent four before the server dropped: it was queued again (eagerly run here).
    assert queued.call_count == 2
    job = Job.objects.get()
    assert (job.status, job.done, job.percent) == (JobStatus.DONE, 20, 100)
    assert len(mail.outbox) == 20
    assert max(recipients().values()) == 1


def refuses(addresses: set[str], *, code: int = 550) -> Any:
    """A mail server that refuses the messages to ``addresses`` with ``code``."""
    real_send = EmailBackend.send_messages

    def send(self: EmailBackend, messages: Any) -> int:
        to = messages[0].to[0]
        if to in addresses:
            raise smtplib.SMTPRecipientsRefused({to: (code, b"5.1.1 No such mailbox")})
        return real_send(self, messages)

    return send


def test_a_message_refused_for_good_marks_its_invitation_and_the_job_finishes(
    wave_with_invitations: Any,
    settings: Any,
    client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.INVITATION_SEND_LANES = 1
    refused = set(
        Invitation.objects.order_by("id").values_list("panelist__email", flat=True)[3:20:8]
    )
    assert len(refused) == 3
    with (
        mock.patch.object(EmailBackend, "send_messages", refuses(refused)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = invitations_send_start(wave=wave_with_invitations)
    job.refresh_from_db()
    assert (job.status, job.done, job.result) == (JobStatus.DONE, 17, {"sent": 17, "refused": 3})
    failed = Invitation.objects.filter(status=InvitationStatus.FAILED)
    assert set(failed.values_list("panelist__email", flat=True)) == refused
    assert all("550" in error for error in failed.values_list("last_error", flat=True))
    assert Invitation.objects.filter(status=InvitationStatus.SENT).count() == 17
    # Staff see it on the wave, with the server's reply.
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    page = client.get(f"/staff/waves/{wave_with_invitations.pk}/").content.decode()
    assert "E-posttjeneren avviste 3 invitasjoner for godt" in page
    assert all(email in page for email in refused)
    assert "5.1.1 No such mailbox" in page
    assert set(recipients()) == {
        e for e in Panelist.objects.values_list("email", flat=True) if e not in refused
    } - {Panelist.objects.get(unsubscribed_at__isnull=False).email}


def test_a_temporary_refusal_is_retried_not_marked(wave_with_invitations: Any) -> None:
    to = Invitation.objects.order_by("id").first().panelist.email
    with (
        mock.patch.object(EmailBackend, "send_messages", refuses({to}, code=451)),
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        invitations_send_batch(wave_id=wave_with_invitations.pk)
    assert Invitation.objects.filter(status=InvitationStatus.FAILED).count() == 0
    assert Invitation.objects.get(panelist__email=to).status == InvitationStatus.PENDING


def test_retries_start_over_when_a_lane_makes_progress(
    wave_with_invitations: Any, settings: Any
) -> None:
    """A server that fails now and then: a lane at its last retry that sends something before
    the next failure is not given up; only failures in a row end the job."""
    settings.INVITATION_SEND_LANES = 1
    job = Job.objects.create(kind="send_invitations")
    kwargs = {"job_id": job.pk, "wave_id": wave_with_invitations.pk}
    real_send = EmailBackend.send_messages
    calls = {"n": 0}

    def drops_every_fifth(self: EmailBackend, messages: Any) -> int:
        calls["n"] += 1
        if calls["n"] % 5 == 0:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, messages)

    with mock.patch.object(EmailBackend, "send_messages", drops_every_fifth):
        send_invitations.apply(kwargs=kwargs, retries=send_invitations.max_retries)
    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.DONE, 20)
    assert len(mail.outbox) == 20
    assert max(recipients().values()) == 1


def test_failures_in_a_row_still_end_the_job(wave_with_invitations: Any, settings: Any) -> None:
    settings.INVITATION_SEND_LANES = 1
    job = Job.objects.create(kind="send_invitations")

    def down(self: EmailBackend, messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with (
        mock.patch.object(EmailBackend, "send_messages", down),
        pytest.raises(smtplib.SMTPServerDisconnected),
    ):
        send_invitations.apply(
            kwargs={"job_id": job.pk, "wave_id": wave_with_invitations.pk},
            retries=send_invitations.max_retries,
        )
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert Invitation.objects.filter(status=InvitationStatus.PENDING).count() == 20
