from rest_framework.routers import DefaultRouter

from kundeservice.api_root import PublicAPIRootView
from surveys.api.catalog import CompanyViewSet, IndustryViewSet
from surveys.api.episodes import EpisodeViewSet
from surveys.api.exports import ExportViewSet
from surveys.api.indicators import IndicatorViewSet, IndustryGroupViewSet
from surveys.api.observations import FieldworkAssignmentViewSet, ReviewViewSet
from surveys.api.panels import (
    InvitationViewSet,
    PanelistViewSet,
    QuestionnaireViewSet,
    ResponseViewSet,
    StudyViewSet,
    WaveViewSet,
)
from surveys.api.results import AggregationViewSet, ResultSetViewSet

router = DefaultRouter()
router.include_format_suffixes = False
router.APIRootView = PublicAPIRootView
router.register("industries", IndustryViewSet, basename="industry")
router.register("companies", CompanyViewSet, basename="company")
router.register("industry-groups", IndustryGroupViewSet, basename="industry-group")
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("questionnaires", QuestionnaireViewSet, basename="questionnaire")
router.register("studies", StudyViewSet, basename="study")
router.register("waves", WaveViewSet, basename="wave")
router.register("panelists", PanelistViewSet, basename="panelist")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("responses", ResponseViewSet, basename="response")
router.register("exports", ExportViewSet, basename="export")
router.register(
    "fieldwork/assignments", FieldworkAssignmentViewSet, basename="fieldwork-assignment"
)
router.register("reviews", ReviewViewSet, basename="review")
router.register("results", ResultSetViewSet, basename="result-set")
router.register("results/waves", AggregationViewSet, basename="result-aggregation")
router.register("episodes", EpisodeViewSet, basename="episode")
