"""What every benchmark script shares: its own PostgreSQL database and Redis database number,
so a benchmark never touches the development (`kundeservice`) or test databases."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"


def bench_database_url(name: str) -> str:
    """Database ``name`` on the PostgreSQL server of ``BENCH_DATABASE_URL``, else of
    ``DATABASE_URL``, else the local default: each benchmark keeps its own database."""
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        base = DEFAULT_SERVER
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def bench_redis_url(number: int) -> str:
    """Redis database ``number`` (never 0, which development uses) on the local server."""
    return os.environ.get("BENCH_REDIS_URL") or f"redis://127.0.0.1:6379/{number}"


def ensure_database(url: str) -> None:
    """Create the benchmark database when it is missing."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to use {name!r}: a benchmark database's name contains 'bench'")
    server = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def bench_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "bench",
        **extra,
    }


def prepared_database(name: str, *, redis_url: str = "") -> dict[str, str] | None:
    """The environment for a benchmark on its own database ``name``, created when missing and
    migrated; None (after saying why) when PostgreSQL cannot be reached."""
    database_url = bench_database_url(name)
    try:
        ensure_database(database_url)
    except Exception as exc:  # psycopg's errors: the server is down or refuses us
        print(f"bench needs PostgreSQL ({exc}); set BENCH_DATABASE_URL.", file=sys.stderr)
        return None
    env = bench_env(database_url=database_url, redis_url=redis_url)
    migrate(env)
    return env


def child_setup() -> None:
    """In a benchmark's child process: set Django up and refuse any database that is not a
    benchmark's own."""
    import django

    django.setup()
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if "bench" not in name:
        raise SystemExit(f"refusing to use {name!r}: not a benchmark database")


def run_child(script: str, env: dict[str, str], argv: list[str]) -> dict[str, Any]:
    """Run ``script --child argv…`` in a fresh process; its last line of output is JSON."""
    done = subprocess.run(
        [PY, str(Path(script).resolve()), "--child", *argv],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench child {' '.join(argv)} failed ({done.returncode})")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [PY, str(ROOT / "manage.py"), "migrate", "--no-input", "-v0"], check=True, env=env, cwd=ROOT
    )


def answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_average() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"
