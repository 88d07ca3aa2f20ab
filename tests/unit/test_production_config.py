"""LINKAGE_ENV=production refuses to start until every setting a public site needs comes from the
environment, and names all that are missing in one message; development starts as before."""
import os

import pytest

from linkage import create_app
from linkage.production import ProductionConfigError

PRODUCTION = {
    "LINKAGE_ENV": "production",
    "SECRET_KEY": "a" * 64,
    "LINKAGE_DATA_KEY": "b" * 64,
    "LINKAGE_AUDIT_KEY": "c" * 64,
    "DATABASE_URL": "postgresql://linkage@127.0.0.1:5432/linkage",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SESSION_COOKIE_SECURE": "on",
}
NAMED = {"SECRET_KEY": "SECRET_KEY", "LINKAGE_DATA_KEY": "LINKAGE_DATA_KEY",
         "LINKAGE_AUDIT_KEY": "LINKAGE_AUDIT_KEY", "DATABASE_URL": "DATABASE_URL",
         "REDIS_URL": "REDIS_URL", "SESSION_COOKIE_SECURE": "SESSION_COOKIE_SECURE"}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """A clean environment with an empty instance folder; returns a function that sets variables."""
    for name in (*PRODUCTION, "LINKAGE_HSTS", "LINKAGE_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LINKAGE_INSTANCE_PATH", str(tmp_path / "instance"))

    def use(values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
    return use


@pytest.mark.parametrize("variable", sorted(PRODUCTION.keys() - {"LINKAGE_ENV"}))
def test_each_missing_setting_is_named(environment, variable, tmp_path):
    environment({k: v for k, v in PRODUCTION.items() if k != variable})
    with pytest.raises(ProductionConfigError) as refusal:
        create_app()
    message = str(refusal.value)
    assert NAMED[variable] in message
    assert [name for name in NAMED.values() if name in message] == [NAMED[variable]]
    assert not os.path.exists(tmp_path / "instance" / "secret.key")


def test_sqlite_is_refused(environment):
    environment({**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/linkage.sqlite3"})
    with pytest.raises(ProductionConfigError, match="DATABASE_URL is not set or names SQLite"):
        create_app()


def test_everything_missing_is_named_in_one_message(environment, tmp_path):
    environment({"LINKAGE_ENV": "production"})
    with pytest.raises(ProductionConfigError) as refusal:
        create_app()
    message = str(refusal.value)
    assert all(name in message for name in NAMED.values()), message
    assert os.listdir(tmp_path / "instance") == []  # no key was generated


def test_all_set_starts_with_the_environments_keys(environment, tmp_path):
    environment(PRODUCTION)
    app = create_app()
    assert app.config["SECRET_KEY"] == "a" * 64 and app.config["AUDIT_KEY"] == "c" * 64
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["LOG_FORMAT"] == "json"
    assert app.extensions["linkage_generated_keys"] == {}
    assert not os.path.exists(tmp_path / "instance" / "secret.key")


def test_development_generates_its_keys_as_before(environment, tmp_path):
    app = create_app()
    assert app.config["LINKAGE_ENV"] == "development" and app.config["LOG_FORMAT"] == "text"
    assert sorted(app.extensions["linkage_generated_keys"]) == ["AUDIT_KEY", "DATA_KEY", "SECRET_KEY"]
    with open(tmp_path / "instance" / "secret.key") as handle:
        assert app.config["SECRET_KEY"] == handle.read().strip()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
