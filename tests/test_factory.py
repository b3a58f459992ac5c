import pytest

from catalogue import create_app
from config import ProductionConfig, TestingConfig


def test_testing_config_is_used_when_asked():
    app = create_app("testing")
    assert app.testing
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"


def test_config_class_is_accepted():
    app = create_app(TestingConfig, {"SITE_NAME": "Elsewhere"})
    assert app.config["SITE_NAME"] == "Elsewhere"


def test_production_refuses_to_start_without_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_secret_key_and_secure_cookies():
    # Secure cookies follow an https SITE_URL (tests/test_production.py has the http case).
    app = create_app(
        ProductionConfig,
        {
            "SECRET_KEY": "a-real-secret",
            "SITE_URL": "https://supplies.example",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        },
    )
    assert not app.debug
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_config_name_is_refused():
    with pytest.raises(RuntimeError, match="Unknown configuration"):
        create_app("staging-typo")
