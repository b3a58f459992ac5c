from catalogue.content.views import bp

__all__ = ["bp"]
