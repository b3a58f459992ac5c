"""Open data: the catalogue export (CSV per table, JSON) with its data package, and the page that
lists the site's data packages. The Daily Updates package lives with its CSV in content."""

from flask import Blueprint, Response, abort, jsonify, render_template, url_for

from catalogue.api import export

bp = Blueprint("opendata", __name__, url_prefix="/open-data")


def _table_urls() -> dict[str, str]:
    return {
        table: url_for("opendata.catalogue_csv", table=table, _external=True)
        for table in export.TABLES
    }


@bp.get("/")
def index():
    return render_template("api/open_data.html", tables=export.TABLES, titles=export.TITLES)


@bp.get("/catalogue/datapackage.json")
def catalogue_datapackage():
    return jsonify(
        export.catalogue_datapackage(_table_urls(), url_for("opendata.index", _external=True))
    )


@bp.get("/catalogue/<table>.csv")
def catalogue_csv(table: str):
    if table not in export.TABLES:
        abort(404, description=f"No such table: the tables are {', '.join(export.TABLES)}.")
    rows = export.catalogue_tables()[table]
    return Response(
        export.table_csv(table, rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="cac-catalogue-{table}.csv"',
            "Link": f'<{url_for("opendata.catalogue_datapackage")}>; rel="describedby"; '
            'type="application/json"',
        },
    )


@bp.get("/catalogue.json")
def catalogue_json():
    return jsonify(
        description=export.PACKAGE_DESCRIPTION,
        datapackage=url_for("opendata.catalogue_datapackage", _external=True),
        **export.catalogue_tables(),
    )
