"""The subject as production serves it: ``kundeservice/wsgi.py``'s stack (Django wrapped in the
``NotModifiedShortcut`` that answers the award night's live-feed polls with 304 before Django
runs) on ``bench.settings`` (the site plus the in-project ``/bench/insert`` view)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

# Load the URLconf (and with it every view and serializer module) before gunicorn forks
# (the harness passes --preload), so no worker's first request pays for the imports.
from django.urls import get_resolver

from kundeservice.wsgi import application

get_resolver().url_patterns  # noqa: B018

__all__ = ["application"]
