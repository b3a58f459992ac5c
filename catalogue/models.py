"""Imports every feature's models so that Alembic and the app see all tables."""

from catalogue.accounts.models import User
from catalogue.content.models import Article, DailyFigure, NetworkLink, SectionView
from catalogue.staff.models import ChangeRecord
from catalogue.supplies.models import (
    Approval,
    Category,
    Document,
    Manufacturer,
    PerformanceResult,
    Product,
    ProductSpecimen,
)

__all__ = [
    "Approval",
    "Article",
    "Category",
    "ChangeRecord",
    "DailyFigure",
    "Document",
    "Manufacturer",
    "NetworkLink",
    "PerformanceResult",
    "Product",
    "ProductSpecimen",
    "SectionView",
    "User",
]
