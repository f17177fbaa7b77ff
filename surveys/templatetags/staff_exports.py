"""The export section of the staff wave page, and labels for export jobs."""

from typing import Any

from django import template

from surveys.services.exports import ExportFormat
from surveys.views.staff_exports import export_panel_context

register = template.Library()


@register.inclusion_tag("surveys/staff/export_panel.html")
def wave_export_panel(wave: Any) -> dict[str, Any]:
    return export_panel_context(wave=wave)


@register.filter
def export_format_label(job: Any) -> str:
    value = (job.result or {}).get("format", "")
    return str(ExportFormat(value).label) if value in ExportFormat.values else value
