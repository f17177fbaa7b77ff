from django import forms
from django.contrib import admin

from surveys.models import Channel, Company, Industry


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
