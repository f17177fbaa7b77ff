from typing import Any

from django import forms
from django.contrib import admin

from surveys.models import Channel, Company, Industry, Wave
from surveys.services.polls import wave_open_link_check


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin[Industry]):
    list_display = ["name", "name_en", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "name_en"]


class CompanyAdminForm(forms.ModelForm[Company]):
    channels = forms.MultipleChoiceField(
        choices=Channel.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Company
        fields = ["name", "slug", "org_number", "industry", "channels", "website", "is_active"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin[Company]):
    form = CompanyAdminForm
    list_display = ["name", "org_number", "industry", "is_active"]
    list_filter = ["industry", "is_active"]
    search_fields = ["name", "org_number"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["industry"]


class WaveAdminForm(forms.ModelForm[Wave]):
    class Meta:
        model = Wave
        fields = [
            "study",
            "slug",
            "name",
            "name_en",
            "questionnaire",
            "starts_on",
            "ends_on",
            "previous",
            "status",
            "minimum_n",
            "invitation_valid_days",
            "reminder_after_days",
            "max_reminders",
            "is_public",
            "open_slug",
            "show_results",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        wave_open_link_check(study=cleaned.get("study"), open_slug=cleaned.get("open_slug"))
        return cleaned


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin[Wave]):
    form = WaveAdminForm
    list_display = ["name", "study", "status", "starts_on", "ends_on", "open_slug", "show_results"]
    list_filter = ["status", "study"]
    search_fields = ["name", "slug", "open_slug"]
    list_select_related = ["study"]
