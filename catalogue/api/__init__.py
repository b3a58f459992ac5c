"""The read-only public JSON API."""

from catalogue.api.views import bp

__all__ = ["bp"]
