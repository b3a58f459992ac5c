from catalogue.supplies.views import bp

__all__ = ["bp"]
