import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kundeservice.settings")
django_application = get_wsgi_application()

from kundeservice.notmodified import NotModifiedShortcut  # noqa: E402 - needs Django set up

# Polled endpoints (the award night's live feed) answer "not modified" before Django's stack.
application = NotModifiedShortcut(django_application)
