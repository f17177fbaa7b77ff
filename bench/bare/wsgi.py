import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare.settings")
application = get_wsgi_application()

from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 - load the URLconf before gunicorn forks (--preload)
