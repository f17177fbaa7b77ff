from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from kundeservice import views
from surveys.api.panels import RespondSubmitView
from surveys.api.urls import router as surveys_router
from surveys.views import respondent, staff_catalog, staff_panels, unsubscribe

api_v1 = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("respond/<str:token>/submit/", RespondSubmitView.as_view(), name="api-respond-submit"),
    *surveys_router.urls,
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("s/<str:token>/", respondent.respond, name="respond"),
    path("u/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

account_patterns = [
    path(_("login/"), auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path(_("logout/"), auth_views.LogoutView.as_view(), name="logout"),
    path(_("password-reset/"), auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        _("password-reset/sent/"),
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        _("password-reset/<uidb64>/<token>/"),
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        _("password-reset/done/"),
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

staff_patterns = [
    path("", views.staff_dashboard, name="staff-dashboard"),
    path("companies/", staff_catalog.company_list, name="staff-company-list"),
    path("companies/import/", staff_catalog.company_import, name="staff-company-import"),
    path("jobs/<int:pk>/", views.job_progress, name="staff-job-progress"),
    path("panel/import/", staff_panels.panel_import, name="staff-panel-import"),
    path("waves/", staff_panels.wave_list, name="staff-wave-list"),
    path("waves/<int:pk>/", staff_panels.wave_detail, name="staff-wave-detail"),
    path("waves/<int:pk>/invite/", staff_panels.wave_invite, name="staff-wave-invite"),
    path("waves/<int:pk>/send/", staff_panels.wave_send, name="staff-wave-send"),
    path("waves/<int:pk>/responses/", staff_panels.response_list, name="staff-response-list"),
    path("responses/<int:pk>/", staff_panels.response_detail, name="staff-response-detail"),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path(_("account/"), include(account_patterns)),
    path("staff/", include(staff_patterns)),
    prefix_default_language=False,
)

admin.site.site_header = _("Kundeservice administration")
admin.site.site_title = settings.SITE_NAME

handler404 = "kundeservice.views.page_not_found"
handler500 = "kundeservice.views.server_error"
