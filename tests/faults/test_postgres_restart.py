"""PostgreSQL restarted under load (a private throwaway cluster, never the machine's own):
requests in flight fail cleanly or succeed, nothing is half-written, and the site recovers by
itself (no restart of gunicorn)."""

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import requests

from tests.conftest import database_url_for_test_db
from tests.factories import CompanyFactory, WaveFactory, invite
from tests.faults.services import (
    PrivatePostgres,
    PrivateRedis,
    site_env,
    start_gunicorn,
    stop,
    wait_for,
)
from tests.surveys.api.test_respond_submit import ANSWERS

SUBMITTERS = 4
EACH = 8


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    postgres = PrivatePostgres()
    postgres.start()
    try:
        yield postgres
    finally:
        postgres.close()


def inbox(postgres: PrivatePostgres) -> dict[int, int]:
    """Accepted submissions per invitation, read straight from the private database."""
    with psycopg.connect(postgres.url) as connection:
        rows = connection.execute(
            "SELECT invitation_id, count(*) FROM surveys_submissioninbox GROUP BY invitation_id"
        ).fetchall()
    return dict(rows)


def test_a_postgres_restart_under_load_fails_requests_cleanly_and_recovers_alone(
    transactional_db: Any, private_redis: PrivateRedis, private_postgres: PrivatePostgres
) -> None:
    CompanyFactory(slug="fjordbanken")
    wave = WaveFactory()
    tokens = [invite(wave) for _ in range(SUBMITTERS * EACH + 1)]
    private_postgres.load(database_url_for_test_db())
    server, url = start_gunicorn(
        {**site_env(private_redis.url), "DATABASE_URL": private_postgres.url}
    )
    answers: dict[str, int] = {}
    started = threading.Barrier(SUBMITTERS + 1)

    def submit(mine: list[str]) -> None:
        started.wait()
        for token in mine:
            try:
                response = requests.post(
                    f"{url}/api/v1/respond/{token}/submit/", json={"answers": ANSWERS}, timeout=20
                )
                answers[token] = response.status_code
            except requests.RequestException:
                answers[token] = 0  # no answer at all: not clean

    try:
        threads = [
            threading.Thread(target=submit, args=(tokens[i * EACH : (i + 1) * EACH],))
            for i in range(SUBMITTERS)
        ]
        for thread in threads:
            thread.start()
        started.wait()
        wait_for(lambda: len(answers) >= SUBMITTERS, 30, "the first submissions")
        private_postgres.restart()
        for thread in threads:
            thread.join(timeout=120)

        # Every request was answered: accepted, or told to try again (503) with nothing kept.
        assert set(answers.values()) <= {202, 503}, answers
        accepted = inbox(private_postgres)
        assert all(count == 1 for count in accepted.values())
        assert len(accepted) == list(answers.values()).count(202)
        # Recovered without a hand: the next respondent, and everyone refused, get through.
        retry = [t for t, status in answers.items() if status != 202] + [tokens[-1]]
        for token in retry:
            again = requests.post(
                f"{url}/api/v1/respond/{token}/submit/", json={"answers": ANSWERS}, timeout=20
            )
            assert again.status_code == 202, again.text[:500]
        assert len(inbox(private_postgres)) == len(tokens)
    finally:
        stop(server)
