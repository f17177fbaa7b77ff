"""The bare project's one URL: ``POST /bench/insert`` does one INSERT and answers ``ok``."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

TABLE = "CREATE TABLE IF NOT EXISTS bench_ping (id bigserial PRIMARY KEY, at timestamptz NOT NULL)"


def insert_one(request: HttpRequest) -> HttpResponse:
    """The baseline: one INSERT and nothing else (no middleware runs, so no CSRF check)."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_ping (at) VALUES (CURRENT_TIMESTAMP)")
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/insert", insert_one)]
