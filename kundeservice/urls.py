from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from awards import urls_tickets
from awards.api import urls_tickets as tickets_api
from awards.api.urls import router as awards_router
from awards.urls import jury_patterns
from awards.urls import public_patterns as award_patterns
from awards.urls import staff_patterns as award_staff_patterns
from kundeservice import views
from kundeservice.accounts import AdminLoginForm, LoginView, TokenCreateView
from kundeservice.ratelimits import guesses_limited
from surveys import episode_selectors
from surveys.api.panels import RespondSubmitView
from surveys.api.urls import router as surveys_router
from surveys.feeds import AtomEpisodesFeed, AtomSeriesFeed, EpisodesFeed, SeriesFeed
from surveys.views import (
    episodes,
    observer,
    observer_calibration,
    poll,
    respondent,
    results,
    staff_catalog,
    staff_episodes,
    staff_exports,
    staff_indicators,
    staff_observations,
    staff_panels,
    staff_questionnaires,
    staff_results,
    staff_review,
    staff_xlsform,
    unsubscribe,
)
from webhooks.api import router as webhooks_router

surveys_router.registry.extend(awards_router.registry)
invitation_lookup = guesses_limited(group="invitation", rate_setting="INVITATION_LOOKUP_RATE")
api_v1 = [
    path("auth/token/", TokenCreateView.as_view(), name="api-token"),
    path(
        "respond/<str:token>/submit/",
        guesses_limited(group="invitation", rate_setting="INVITATION_LOOKUP_RATE", json=True)(
            RespondSubmitView.as_view()
        ),
        name="api-respond-submit",
    ),
    *surveys_router.urls,
    *webhooks_router.urls,
    path("", include(tickets_api)),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # Invitation links: guessing them is limited per client address.
    path("s/<str:token>/", invitation_lookup(respondent.respond), name="respond"),
    path("u/<str:token>/", invitation_lookup(unsubscribe.unsubscribe), name="unsubscribe"),
    path("sitemap.xml", episodes.temperature_sitemap, name="sitemap"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    # Swagger UI adds a <style> element of its own; that page alone may.
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
]

account_patterns = [
    path(_("login/"), LoginView.as_view(), name="login"),
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
    *urls_tickets.staff_patterns,
    # QA review of observer reports
    path("review/", staff_review.review_queue, name="staff-review-queue"),
    path("review/<int:pk>/", staff_review.review_detail, name="staff-review-detail"),
    path("companies/", staff_catalog.company_list, name="staff-company-list"),
    path("companies/import/", staff_catalog.company_import, name="staff-company-import"),
    path("jobs/<int:pk>/", views.job_progress, name="staff-job-progress"),
    path(
        "industry-groups/",
        staff_indicators.industry_group_list,
        name="staff-industry-group-list",
    ),
    path(
        "industry-groups/new/",
        staff_indicators.industry_group_edit,
        name="staff-industry-group-create",
    ),
    path(
        "industry-groups/<int:pk>/",
        staff_indicators.industry_group_edit,
        name="staff-industry-group-edit",
    ),
    path(
        "industry-groups/<int:pk>/delete/",
        staff_indicators.industry_group_remove,
        name="staff-industry-group-delete",
    ),
    path(
        "waves/<int:pk>/indicators/",
        staff_indicators.wave_indicators,
        name="staff-wave-indicators",
    ),
    path(
        "waves/<int:wave_pk>/indicators/new/",
        staff_indicators.indicator_edit,
        name="staff-indicator-create",
    ),
    path(
        "waves/<int:wave_pk>/indicators/<int:pk>/",
        staff_indicators.indicator_edit,
        name="staff-indicator-edit",
    ),
    path(
        "waves/<int:wave_pk>/indicators/<int:pk>/delete/",
        staff_indicators.indicator_remove,
        name="staff-indicator-delete",
    ),
    path("panel/import/", staff_panels.panel_import, name="staff-panel-import"),
    path("waves/", staff_panels.wave_list, name="staff-wave-list"),
    path("waves/new/", staff_panels.wave_edit, name="staff-wave-create"),
    path("waves/<int:pk>/edit/", staff_panels.wave_edit, name="staff-wave-edit"),
    path("waves/<int:pk>/", staff_panels.wave_detail, name="staff-wave-detail"),
    path("waves/<int:pk>/invite/", staff_panels.wave_invite, name="staff-wave-invite"),
    path("waves/<int:pk>/send/", staff_panels.wave_send, name="staff-wave-send"),
    path("waves/<int:pk>/responses/", staff_panels.response_list, name="staff-response-list"),
    path("waves/<int:pk>/results/", staff_results.wave_results, name="staff-wave-results"),
    path("results/", staff_results.results_list, name="staff-results-list"),
    # Temperature updates
    path("episodes/", staff_episodes.episode_list, name="staff-episode-list"),
    path(
        "waves/<int:wave_pk>/episodes/new/",
        staff_episodes.episode_create,
        name="staff-episode-create",
    ),
    path("episodes/<int:pk>/", staff_episodes.episode_edit, name="staff-episode-edit"),
    path("responses/<int:pk>/", staff_panels.response_detail, name="staff-response-detail"),
    # The questionnaire builder
    path(
        "questionnaires/", staff_questionnaires.questionnaire_list, name="staff-questionnaire-list"
    ),
    path(
        "questionnaires/<int:pk>/",
        staff_questionnaires.questionnaire_detail,
        name="staff-questionnaire-detail",
    ),
    path(
        "questionnaires/<int:pk>/preview/",
        staff_questionnaires.questionnaire_preview,
        name="staff-questionnaire-preview",
    ),
    path(
        "questionnaires/<int:pk>/new-version/",
        staff_questionnaires.questionnaire_new_version,
        name="staff-questionnaire-new-version",
    ),
    path(
        "questionnaires/<int:pk>/sections/new/",
        staff_questionnaires.section_create,
        name="staff-builder-section-create",
    ),
    path(
        "questionnaires/sections/<int:pk>/",
        staff_questionnaires.section_edit,
        name="staff-builder-section",
    ),
    path(
        "questionnaires/sections/<int:pk>/delete/",
        staff_questionnaires.section_delete,
        name="staff-builder-section-delete",
    ),
    path(
        "questionnaires/sections/<int:pk>/move/",
        staff_questionnaires.section_move,
        name="staff-builder-section-move",
    ),
    path(
        "questionnaires/sections/<int:pk>/questions/new/",
        staff_questionnaires.question_create,
        name="staff-builder-question-create",
    ),
    path(
        "questionnaires/questions/<int:pk>/",
        staff_questionnaires.question_edit,
        name="staff-builder-question",
    ),
    path(
        "questionnaires/questions/<int:pk>/delete/",
        staff_questionnaires.question_delete,
        name="staff-builder-question-delete",
    ),
    path(
        "questionnaires/questions/<int:pk>/move/",
        staff_questionnaires.question_move,
        name="staff-builder-question-move",
    ),
    path(
        "questionnaires/questions/<int:pk>/options/new/",
        staff_questionnaires.option_create,
        name="staff-builder-option-create",
    ),
    path(
        "questionnaires/options/<int:pk>/",
        staff_questionnaires.option_edit,
        name="staff-builder-option",
    ),
    path(
        "questionnaires/options/<int:pk>/delete/",
        staff_questionnaires.option_delete,
        name="staff-builder-option-delete",
    ),
    path(
        "questionnaires/options/<int:pk>/move/",
        staff_questionnaires.option_move,
        name="staff-builder-option-move",
    ),
    path(
        "questionnaires/import/",
        staff_xlsform.questionnaire_import,
        name="staff-questionnaire-import",
    ),
    path(
        "questionnaires/<int:pk>/xlsform/",
        staff_xlsform.questionnaire_xlsform,
        name="staff-questionnaire-xlsform",
    ),
    path("waves/<int:pk>/export/", staff_exports.wave_export, name="staff-wave-export"),
    path("exports/<int:pk>/", staff_exports.export_progress, name="staff-export-progress"),
    path("exports/<int:pk>/download/", staff_exports.export_download, name="staff-export-download"),
    # The observer programme: observers, distribution key, plan, calibration
    path("observers/", staff_observations.observer_list, name="staff-observer-list"),
    path("observers/new/", staff_observations.observer_edit, name="staff-observer-create"),
    path("observers/<int:pk>/", staff_observations.observer_edit, name="staff-observer-edit"),
    path(
        "waves/<int:pk>/observation/",
        staff_observations.observation_setup,
        name="staff-observation-setup",
    ),
    path(
        "waves/<int:pk>/plan/", staff_observations.observation_plan, name="staff-observation-plan"
    ),
    path(
        "assignments/<int:pk>/move/",
        staff_observations.assignment_move,
        name="staff-assignment-move",
    ),
    path("calibration/", staff_observations.calibration_list, name="staff-calibration-list"),
    path(
        "calibration/<int:pk>/",
        staff_observations.calibration_detail,
        name="staff-calibration-detail",
    ),
]

observer_patterns = [
    path("", observer.home, name="observer-home"),
    path("assignments/<int:pk>/", observer.assignment_detail, name="observer-assignment"),
    path(
        "calibration/<int:pk>/",
        observer_calibration.observer_calibration,
        name="observer-calibration",
    ),
    path(
        "calibration/<int:pk>/recording/",
        observer_calibration.calibration_recording,
        name="observer-calibration-recording",
    ),
]

WAVE = "<slug:study>/<slug:wave>/"
results_patterns = [
    path("", results.results_index, name="results-index"),
    path(WAVE, results.results_wave, name="results-wave"),
    path(
        format_lazy("{}{}<slug:industry>/", WAVE, _("industry/")),
        results.results_industry,
        name="results-industry",
    ),
    path(
        format_lazy("{}{}<slug:company>/", WAVE, _("company/")),
        results.results_company,
        name="results-company",
    ),
    path(
        format_lazy("{}{}<slug:channel>/", WAVE, _("channel/")),
        results.results_channel,
        name="results-channel",
    ),
    path(
        format_lazy("{}{}<slug:group>/", WAVE, _("group/")),
        results.results_group,
        name="results-group",
    ),
]

EPISODE = "<slug:study>/<slug:wave>/<int:number>/"
temperature_patterns = [
    path("", episodes.temperature_index, name="temperature-index"),
    path("rss/", episodes.cached(episodes.everything)(EpisodesFeed()), name="temperature-rss"),
    path(
        "atom/", episodes.cached(episodes.everything)(AtomEpisodesFeed()), name="temperature-atom"
    ),
    path(_("subscribe/"), episodes.temperature_subscribe, name="temperature-subscribe"),
    path(
        format_lazy("{}<str:token>/", _("subscription/confirm/")),
        episodes.temperature_confirm,
        name="temperature-confirm",
    ),
    path(
        format_lazy("{}<str:token>/", _("subscription/unsubscribe/")),
        episodes.temperature_unsubscribe,
        name="temperature-unsubscribe",
    ),
    path(WAVE, episodes.temperature_series, name="temperature-series"),
    path(
        f"{WAVE}rss/",
        episodes.cached(episode_selectors.public_series_token)(SeriesFeed()),
        name="temperature-series-rss",
    ),
    path(
        f"{WAVE}atom/",
        episodes.cached(episode_selectors.public_series_token)(AtomSeriesFeed()),
        name="temperature-series-atom",
    ),
    path(EPISODE, episodes.temperature_episode, name="temperature-episode"),
    path(
        format_lazy("{}{}", EPISODE, _("share.png")),
        episodes.temperature_share_image,
        name="temperature-share-image",
    ),
    path(
        format_lazy("{}{}", EPISODE, _("cover.jpg")),
        episodes.temperature_cover,
        name="temperature-cover",
    ),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path(_("results/"), include(results_patterns)),
    path(_("temperature/"), include(temperature_patterns)),
    path("p/<slug:slug>/", poll.poll, name="poll"),
    path("", include(urls_tickets.public_patterns)),
    path(_("account/"), include(account_patterns)),
    path("staff/awards/", include(award_staff_patterns)),
    path("staff/", include(staff_patterns)),
    path("staff/webhooks/", include("webhooks.urls")),
    path("jury/", include(jury_patterns)),
    path(_("award/"), include(award_patterns)),
    path("observer/", include(observer_patterns)),
    prefix_default_language=False,
)

admin.site.site_header = _("Kundeservice administration")
admin.site.login_form = AdminLoginForm
admin.site.site_title = settings.SITE_NAME

handler404 = "kundeservice.views.page_not_found"
handler500 = "kundeservice.views.server_error"
