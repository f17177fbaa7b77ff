from rest_framework.routers import DefaultRouter

from kundeservice.api_root import PublicAPIRootView
from surveys.api.catalog import CompanyViewSet, IndustryViewSet

router = DefaultRouter()
router.include_format_suffixes = False
router.APIRootView = PublicAPIRootView
router.register("industries", IndustryViewSet, basename="industry")
router.register("companies", CompanyViewSet, basename="company")
