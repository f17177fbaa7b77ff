"""The award night in the Django admin, for award managers only: other staff with admin access
must not see finalists or winners before their time."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from awards.models import AwardCategory, AwardDecision, AwardEvent, Placement
from awards.selectors import is_award_manager


class AwardManagersOnly(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_award_manager(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_award_manager(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_award_manager(request.user) and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_award_manager(request.user) and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decisions and placements are a record: never deleted from the admin


@admin.register(AwardEvent)
class AwardEventAdmin(AwardManagersOnly):
    list_display = ["name", "starts_at", "state"]


@admin.register(AwardCategory)
class AwardCategoryAdmin(AwardManagersOnly):
    list_display = ["name", "event", "kind", "confirmed_at", "revealed_at"]
    list_filter = ["event", "kind"]


@admin.register(Placement)
class PlacementAdmin(AwardManagersOnly):
    list_display = ["category", "position", "company", "nominee", "value", "is_winner"]


@admin.register(AwardDecision)
class AwardDecisionAdmin(AwardManagersOnly):
    list_display = ["at", "event", "category", "action", "actor"]
    list_filter = ["event", "action"]
