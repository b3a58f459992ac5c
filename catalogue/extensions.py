"""Extension objects, created unbound and initialised in create_app()."""

from typing import TYPE_CHECKING, ClassVar

from flask_bootstrap import Bootstrap5
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

import catalogue.lib.ratelimits  # noqa: F401  (the sqlite:// storage of the limits)

# Stable constraint names so Alembic can alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Each model maps one table; SQLAlchemy types __table__ as any FromClause.
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

# The base class of every model. At run time it is db.Model (Base plus Flask-SQLAlchemy's
# mixins); mypy cannot take a class from an instance attribute (python/mypy#8603), so to it
# the models derive from Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
# Counters in Redis or in a SQLite file shared by the machine's workers (RATELIMIT_STORAGE_URI
# in config.py); importing the storage registers its sqlite:// scheme with `limits`. Counted
# per client address: request.remote_addr, the real client's behind TRUSTED_PROXIES proxies.
limiter = Limiter(get_remote_address)
# Gzip/Brotli for pages, CSS, JS, JSON and SVG: officers are often on slow links.
compress = Compress()
