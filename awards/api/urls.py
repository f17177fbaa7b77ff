from rest_framework.routers import SimpleRouter

from awards.api.events import AwardEventViewSet

# Registered into the site's API router (kundeservice.urls), whose root lists every endpoint.
router = SimpleRouter()
router.register("awards/events", AwardEventViewSet, basename="award-event-api")
