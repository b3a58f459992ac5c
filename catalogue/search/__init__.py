"""Full-text search: the Whoosh index, keeping it in step, and the search pages."""

from catalogue.search.views import bp

__all__ = ["bp"]
