from catalogue.exports.views import bp

__all__ = ["bp"]
