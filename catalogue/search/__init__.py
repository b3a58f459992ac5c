"""Full-text search: the Whoosh index, keeping it in step, and the search pages. The blueprint
`bp` lives in views.py; create_app imports it from there."""
