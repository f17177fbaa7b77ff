"""Settings of the bare baseline project (see ``bench/bare/__init__.py``)."""

import os

import dj_database_url

SECRET_KEY = "bench-bare-not-secret"  # noqa: S105 - serves only 127.0.0.1 during a benchmark
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.bare.urls"
WSGI_APPLICATION = "bench.bare.wsgi.application"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
TEMPLATES: list[dict[str, object]] = []
USE_I18N = False
USE_TZ = True
# Persistent connections as the subject keeps them (kundeservice/settings.py), so the baseline
# is not slowed by a connect per request; no health check, which is the subject's own choice.
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
