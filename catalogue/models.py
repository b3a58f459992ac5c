"""Imports every feature's models so that Alembic and the app see all tables."""

from catalogue.accounts.models import User
from catalogue.search.models import SearchChange
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
    "Category",
    "ChangeRecord",
    "Document",
    "Manufacturer",
    "PerformanceResult",
    "Product",
    "ProductSpecimen",
    "SearchChange",
    "User",
]
