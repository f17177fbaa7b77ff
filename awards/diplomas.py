"""A winner's diploma as a PDF (reportlab; its Helvetica covers æ, ø and å)."""

import io

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

from awards.models import AwardCategory, Placement

INK = HexColor("#1b1f24")
BRAND = HexColor("#0b4f8a")


def diploma_pdf(*, category: AwardCategory, winner: Placement) -> bytes:
    """One landscape A4 page: the award night, the category, the winner and what won it."""
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    event = category.event
    pdf.setTitle(f"{category.display_name} – {winner.entrant_name}")
    pdf.setAuthor(event.display_name)
    pdf.setStrokeColor(BRAND)
    pdf.setLineWidth(6)
    pdf.rect(28, 28, width - 56, height - 56)
    pdf.setFillColor(BRAND)
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawCentredString(width / 2, height - 110, event.display_name.upper())
    pdf.setFillColor(INK)
    pdf.setFont("Helvetica", 18)
    pdf.drawCentredString(width / 2, height - 170, _("Diploma"))
    pdf.setFont("Helvetica-Bold", 34)
    pdf.drawCentredString(width / 2, height / 2 + 20, winner.entrant_name)
    pdf.setFont("Helvetica", 20)
    pdf.drawCentredString(width / 2, height / 2 - 30, category.display_name)
    if winner.value is not None:
        pdf.setFont("Helvetica", 14)
        line = (
            _("Score %(value)s, from %(n)d contacts or answers")
            % {"value": formats.number_format(winner.value, 1), "n": winner.n or 0}
            if winner.company_id
            else _("The jury's score %(value)s") % {"value": formats.number_format(winner.value, 1)}
        )
        pdf.drawCentredString(width / 2, height / 2 - 60, line)
    pdf.setFont("Helvetica", 13)
    when = formats.date_format(timezone.localtime(event.starts_at), "DATE_FORMAT")
    pdf.drawCentredString(width / 2, 90, f"{event.venue}, {when}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
