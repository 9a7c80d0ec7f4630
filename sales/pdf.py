"""The quotation as a PDF (WeasyPrint): letterhead, customer, vehicle, lines, totals in
figures and in words, validity and signatures. Always in Indonesian: it is the customer's paper."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .models import Quotation
from .quotations import quotation_detail
from .terbilang import terbilang


def quotation_pdf_filename(quotation: Quotation) -> str:
    return quotation.display_number.replace("/", "-") + ".pdf"


def quotation_pdf(quotation: Quotation) -> bytes:
    """The PDF's bytes. The figures are the stored ones (sales.quotations computed them)."""
    from weasyprint import HTML  # a heavy import: only where a PDF is made

    with translation.override("id"):
        html = render_to_string("sales/quotations/quotation_pdf.html", {
            **quotation_detail(quotation), "quotation": quotation, "company": settings.COMPANY_NAME,
            "branch": quotation.branch, "customer": quotation.customer, "total_words": terbilang(quotation.total),
        })
    return HTML(string=html).write_pdf()


def quotation_pdf_attachment(ref: str) -> tuple[str, bytes, str]:
    """The messaging pipeline's attachment "sales.quotation_pdf" (crm.registry.AttachmentProvider):
    ``ref`` is the quotation's public id. Made when the email is sent; a retry makes the same
    document, since a quotation the customer was sent no longer changes (a change is a revision)."""
    quotation = Quotation.objects.select_related("branch", "customer", "opportunity", "vehicle",
                                                 "created_by").get(public_id=ref)
    return quotation_pdf_filename(quotation), quotation_pdf(quotation), "application/pdf"
