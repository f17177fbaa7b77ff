"""The site's URLs plus the bare baseline view, which only benchmark servers expose."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kundeservice.urls import handler404, handler500
from kundeservice.urls import urlpatterns as site_urlpatterns


@csrf_exempt
@require_POST
def insert_one(request: HttpRequest) -> HttpResponse:
    """The baseline: a Django view that does one INSERT and nothing else."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_ping (at) VALUES (CURRENT_TIMESTAMP)")
    return HttpResponse(b"ok", content_type="text/plain")


# i18n_patterns cannot be include()d, so the site's list is extended instead.
urlpatterns = [path("bench/insert", insert_one), *site_urlpatterns]
__all__ = ["handler404", "handler500", "urlpatterns"]
