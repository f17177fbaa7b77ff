from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KundeserviceConfig(AppConfig):
    name = "kundeservice"
    verbose_name = _("Accounts and site")
