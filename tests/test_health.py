import pytest

from catalogue import create_app

pytestmark = pytest.mark.postgresql


def test_healthz_reports_database_ok(client, backend):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["database"]["backend"] == backend


def test_healthz_reports_a_broken_database_as_503(tmp_path):
    missing = tmp_path / "no-such-dir" / "db.sqlite3"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"]["status"] == "error"
