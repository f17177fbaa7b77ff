"""Production settings: no secret defaults, and check --deploy clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    unset = {"SECRET_KEY", "SITE_URL", "DJANGO_ENV", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key() -> None:
    result = run_manage("check", DJANGO_ENV="production", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_passes_check_deploy_without_warnings() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY="a-long-random-test-secret-" + "x" * 40,
        ALLOWED_HOSTS="example.org",
        SITE_URL="https://example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_default_is_not_deploy_clean() -> None:
    """The control: check --deploy does flag the development settings, so the test above can
    fail."""
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0


def test_production_refuses_to_start_without_site_url() -> None:
    """Without it every invitation linked to http://127.0.0.1:8000."""
    result = run_manage(
        "check",
        DJANGO_ENV="production",
        SECRET_KEY="a-long-random-test-secret-" + "x" * 40,
        ALLOWED_HOSTS="example.org",
    )
    assert result.returncode != 0
    assert "SITE_URL must be set" in result.stderr


def test_development_site_url_follows_make_runs_address() -> None:
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SITE_URL)",
        RUNSERVER_ADDRESS="0.0.0.0:8080",
    )
    assert result.stdout.strip().splitlines()[-1] == "http://0.0.0.0:8080", result.stderr


def test_docker_compose_and_readme_name_site_url() -> None:
    assert "SITE_URL: ${SITE_URL" in (ROOT / "docker-compose.yml").read_text()
    assert "| `SITE_URL` |" in (ROOT / "README.md").read_text()
