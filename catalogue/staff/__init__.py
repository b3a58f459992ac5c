from catalogue.staff.views import bp

__all__ = ["bp"]
