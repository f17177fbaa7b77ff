"""The event this app registers itself: the test an endpoint's page sends by hand."""

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy

from webhooks.registry import TEST_EVENT, EventData, register_event


def test_event_data(endpoint: Any) -> EventData:
    return EventData(
        data={
            "endpoint": endpoint.pk,
            "message": "A test event from the staff console.",
            "links": {
                "endpoint": settings.SITE_URL
                + reverse("webhook-endpoint-detail", args=[endpoint.pk])
            },
        }
    )


register_event(
    name=TEST_EVENT,
    version=1,
    description=gettext_lazy("A test sent by hand to one endpoint."),
    build=test_event_data,
)
