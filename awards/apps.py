from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    name = "awards"
    verbose_name = _("Award night")

    def ready(self) -> None:
        from awards import webhook_events  # noqa: F401  (registers the award's events)
        from awards.views.panels import register_panels

        register_panels()
