from catalogue.portal.views import bp

__all__ = ["bp"]
