"""The read-only public JSON API. The blueprint `bp` lives in views.py; create_app imports it
from there."""
