"""/healthz tells operators what is down, with 503 when anything is."""

from typing import Any

import pytest

from kundeservice import health


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
    assert "Connection refused" in response.json()["checks"]["cache"]["error"]
