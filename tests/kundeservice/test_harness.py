"""The test harness leaves nothing behind in the repository."""

import pytest
from django.conf import settings

from tests.conftest import database_url_for_test_db, shared_test_db

IN_MEMORY = "file:memorydb_default?mode=memory&cache=shared"


def test_in_memory_sqlite_is_never_handed_to_another_process(monkeypatch) -> None:
    """A worker given the in-memory test database's name wrote a file ``memorydb_default`` at
    the repository root; now the harness refuses instead, and such tests are skipped."""
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": IN_MEMORY, "TEST": {}}
    monkeypatch.setitem(settings.DATABASES, "default", sqlite)
    with pytest.raises(pytest.UsageError):
        database_url_for_test_db()
    assert not shared_test_db()


def test_a_sqlite_file_or_postgres_is_shared(monkeypatch) -> None:
    sqlite_file = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "/tmp/test.sqlite3",
        "TEST": {"NAME": "/tmp/test.sqlite3"},
    }
    monkeypatch.setitem(settings.DATABASES, "default", sqlite_file)
    assert database_url_for_test_db() == "sqlite:////tmp/test.sqlite3"
    assert shared_test_db()
    monkeypatch.setitem(
        settings.DATABASES, "default", {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}
    )
    assert shared_test_db()
