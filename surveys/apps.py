from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys and results")

    def ready(self) -> None:
        from surveys import webhook_events  # noqa: F401  (registers the survey events)
