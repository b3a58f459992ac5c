"""The exports feature. Its blueprint `bp` lives in views.py; create_app imports it from there,
so that importing a model never pulls in every view."""
