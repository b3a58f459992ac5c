from catalogue import create_app
from catalogue.lib.logs import configure_logging

# gunicorn serves wsgi:app and the `flask` command loads this file (FLASK_APP=wsgi, or found by
# its name), so each process sets up logging here; create_app leaves it alone.
configure_logging()
app = create_app()
