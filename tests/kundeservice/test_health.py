"""/healthz tells operators what is down, with 503 when anything is."""

from typing import Any

import pytest

from kundeservice import health
from kundeservice.roles import Role
from tests.factories import UserFactory


@pytest.mark.django_db
def test_healthz_reports_every_dependency(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(
    client: Any, settings: Any, monkeypatch: Any
) -> None:
    from kundeservice.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_healthz_is_503_when_the_cache_fails(client: Any, monkeypatch: Any) -> None:
    def broken() -> dict[str, Any]:
        raise ConnectionError("Connection refused")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["error"] == "ConnectionError"
    client.force_login(UserFactory(roles=[Role.STAFF_ADMIN]))
    staff = client.get("/healthz")
    assert "Connection refused" in staff.json()["checks"]["cache"]["error"]


@pytest.mark.django_db
def test_healthz_tells_only_staff_which_host_and_port_failed(
    client: Any, settings: Any, monkeypatch: Any
) -> None:
    from kundeservice.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    anonymous = client.get("/healthz")
    assert anonymous.status_code == 503
    assert anonymous.json()["checks"]["broker"]["error"] == "OperationalError"
    assert "127.0.0.1" not in anonymous.content.decode()
    client.force_login(UserFactory(roles=[Role.STAFF_ADMIN]))
    staff = client.get("/healthz").json()["checks"]["broker"]["error"]
    assert "127.0.0.1:1" in staff
