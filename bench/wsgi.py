import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
application = get_wsgi_application()

# Load the URLconf (and with it every view and serializer module) before gunicorn forks
# (bench/run.py passes --preload), so no worker's first request pays for the imports.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
