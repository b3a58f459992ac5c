"""Imports every feature's models so that Alembic and the app see all tables."""

from catalogue.accounts.models import AccountToken, User
from catalogue.audit.models import ChangeRecord
from catalogue.content.models import Article, DailyFigure, NetworkLink, SectionView
from catalogue.exports.models import ExportJob
from catalogue.inquiries.models import (
    Inquiry,
    InquiryEvent,
    InquiryLine,
    InquiryMessage,
    JobRun,
    Quotation,
    QuotationLine,
    QuotationTier,
    ReferenceCounter,
    ReferenceRate,
)
from catalogue.mail.models import MailSuppression, OutboundEmail
from catalogue.search.models import SearchChange
from catalogue.supplies.models import (
    Approval,
    Category,
    Manufacturer,
    PerformanceResult,
    Product,
    ProductPhoto,
    ProductSpecimen,
    Upload,
)
from catalogue.supplies.version import CatalogueVersion

__all__ = [
    "AccountToken",
    "OutboundEmail",
    "MailSuppression",
    "Approval",
    "Article",
    "CatalogueVersion",
    "Category",
    "ChangeRecord",
    "DailyFigure",
    "Upload",
    "ExportJob",
    "Inquiry",
    "InquiryEvent",
    "InquiryLine",
    "InquiryMessage",
    "JobRun",
    "Manufacturer",
    "NetworkLink",
    "PerformanceResult",
    "Product",
    "ProductPhoto",
    "ProductSpecimen",
    "Quotation",
    "QuotationLine",
    "QuotationTier",
    "ReferenceCounter",
    "ReferenceRate",
    "SearchChange",
    "SectionView",
    "User",
]
