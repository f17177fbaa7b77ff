"""A real worker mails a wave through an SMTP server that refuses some recipients for good
(550) and drops out now and then (421): the job finishes, every refusal is marked on its
invitation, everyone else gets exactly one mail. A worker killed in the middle of a batch
mails nobody twice."""

import asyncio
import os
import signal
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kundeservice.models import Job, JobStatus
from kundeservice.roles import Role
from surveys.models import Invitation, InvitationStatus, Panelist
from surveys.services.invitations import invitations_create, invitations_send_start
from surveys.tasks import send_invitations
from tests.factories import PanelistFactory, UserFactory, WaveFactory
from tests.faults.services import free_port, wait_for
from tests.integration.conftest import start_worker, stop_worker

INVITED = 60


class Picky:
    """Refuses the mailboxes it is told to (550 at RCPT) and every 25th message (421 at DATA:
    the server is shutting down), and counts what it accepted."""

    def __init__(self, refused: set[str]) -> None:
        self.refused = refused
        self.accepted: Counter[str] = Counter()
        self.data = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data += 1
        if self.data % 25 == 0:
            return "421 4.3.2 Service shutting down"
        self.accepted.update(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def smtp_worker(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A worker mailing through a ``Picky`` server; the fixture yields a function that makes
    the server (with the addresses to refuse) before the worker starts."""
    started: list[Any] = []

    def start(refused: set[str]) -> Picky:
        handler = Picky(refused)
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
        monkeypatch.setenv("EMAIL_HOST", "127.0.0.1")
        monkeypatch.setenv("EMAIL_PORT", str(port))
        monkeypatch.setenv("INVITATION_BATCH_SIZE", "10")
        started.append(start_worker())
        return handler

    yield start
    for thing in reversed(started):
        if isinstance(thing, Controller):
            thing.stop()
        else:
            stop_worker(thing)


def test_sending_finishes_through_refusals_and_marks_them(smtp_worker: Any) -> None:
    wave = WaveFactory()
    PanelistFactory.create_batch(INVITED)
    assert invitations_create(wave=wave, panelists=Panelist.objects.all()) == INVITED
    emails = sorted(Panelist.objects.values_list("email", flat=True))
    refused = set(emails[::30])  # 2 of 60
    server = smtp_worker(refused)

    job = invitations_send_start(wave=wave)
    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, 90, "the sending job")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    assert job.result["refused"] == len(refused)
    failed = Invitation.objects.filter(wave=wave, status=InvitationStatus.FAILED)
    assert set(failed.values_list("panelist__email", flat=True)) == refused
    assert all(
        e.startswith("SMTPRecipientsRefused") for e in failed.values_list("last_error", flat=True)
    )
    assert set(server.accepted) == set(emails) - refused
    assert max(server.accepted.values()) == 1  # nobody mailed twice
    assert server.data > INVITED - len(refused)  # the 421s happened and were retried


class Stalls:
    """Accepts five messages, then holds every further one unanswered (a worker can be killed
    in the middle of a batch); ``release()`` lets it accept again."""

    def __init__(self) -> None:
        self.accepted: Counter[str] = Counter()
        self.holding = True
        self.waiting = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        while self.holding and sum(self.accepted.values()) >= 5:
            self.waiting = 1
            await asyncio.sleep(0.05)
        self.accepted.update(envelope.rcpt_tos)
        return "250 OK"


def test_a_worker_killed_mid_send_mails_nobody_twice(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch, client: Any
) -> None:
    wave = WaveFactory()
    PanelistFactory.create_batch(30)
    invitations_create(wave=wave, panelists=Panelist.objects.all())
    handler = Stalls()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    monkeypatch.setenv("EMAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("EMAIL_PORT", str(port))
    monkeypatch.setenv("INVITATION_BATCH_SIZE", "10")
    monkeypatch.setenv("INVITATION_SEND_LANES", "1")
    worker = start_worker()
    try:
        job = invitations_send_start(wave=wave)
        wait_for(lambda: handler.waiting == 1, 60, "the worker to be mid-batch")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        handler.holding = False
        # Its claimed batch stays "being sent" and is shown to staff, never mailed again.
        in_flight = Invitation.objects.filter(wave=wave, status=InvitationStatus.SENDING)
        assert in_flight.count() == 10
        client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
        page = client.get(f"/staff/waves/{wave.pk}/").content.decode()
        assert "10 invitasjoner var under sending da en arbeidsprosess stoppet" in page

        # The broker hands the task to the next worker (after its visibility timeout).
        worker = start_worker()
        send_invitations.delay(job_id=job.pk, wave_id=wave.pk)
        wait_for(
            lambda: (
                not Invitation.objects.filter(wave=wave, status=InvitationStatus.PENDING).exists()
            ),
            60,
            "the rest to be sent",
        )
    finally:
        stop_worker(worker)
        controller.stop()
    assert max(handler.accepted.values()) == 1  # nobody mailed twice
    assert sum(handler.accepted.values()) == 5 + 20
