"""Settings, health, schema, the database in use, and the engine's independence from Django."""

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from cuakhau import env


def test_database_is_the_one_configured() -> None:
    url = os.environ.get("CUAKHAU_DATABASE_URL", "sqlite://")
    expected = "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite"
    assert connection.vendor == expected


@pytest.mark.django_db
def test_healthz(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == connection.vendor


def test_secret_key_is_generated_once_and_private(tmp_path: Path) -> None:
    first = env.persistent_secret_key(tmp_path)
    assert env.persistent_secret_key(tmp_path) == first and len(first) >= 50
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_env_helpers_fail_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CUAKHAU_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="CUAKHAU_X"):
        env.env_bool("CUAKHAU_X", False)
    monkeypatch.setenv("CUAKHAU_N", "lots")
    with pytest.raises(ImproperlyConfigured, match="CUAKHAU_N"):
        env.env_int("CUAKHAU_N", 1)
    secret = tmp_path / "s"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("CUAKHAU_S_FILE", str(secret))
    assert env.env_secret("CUAKHAU_S") == "from-a-file"
    monkeypatch.setenv("CUAKHAU_S", "also")
    with pytest.raises(ImproperlyConfigured):
        env.env_secret("CUAKHAU_S")


def test_deploy_check_leaves_only_what_the_proxy_provides() -> None:
    """``check --deploy`` is clean except the HTTPS settings that CUAKHAU_HTTPS turns on."""
    base_env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [sys.executable, "-m", "cuakhau.cli", "check", "--deploy"],
        capture_output=True,
        text=True,
        env={**base_env, "CUAKHAU_SECRET_KEY": secrets.token_urlsafe(50)},
        check=False,
    )
    output = result.stdout + result.stderr
    ids = {
        word
        for line in output.splitlines()
        for word in line.replace("(", " ").replace(")", " ").split()
        if word.startswith("security.W")
    }
    assert ids <= {"security.W004", "security.W008", "security.W012", "security.W016"}, output
    https = subprocess.run(
        [sys.executable, "-m", "cuakhau.cli", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        check=False,
        env={**base_env, "CUAKHAU_SECRET_KEY": secrets.token_urlsafe(50), "CUAKHAU_HTTPS": "1"},
    )
    assert https.returncode == 0, https.stdout + https.stderr


@pytest.mark.django_db
def test_openapi_schema_is_valid_and_complete(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/v1/gates/",
        "/api/v1/declarations/",
        "/api/v1/declarations/{reference}/transitions/",
        "/api/v1/declarations/{reference}/history/",
        "/api/v1/holidays/",
        "/api/v1/enterprises/",
        "/api/v1/vehicles/",
        "/api/v1/drivers/",
        "/api/v1/commodities/",
    } <= paths
    assert settings.SPECTACULAR_SETTINGS["SWAGGER_UI_DIST"] == "SIDECAR"


@pytest.mark.django_db
def test_api_docs_are_served_without_a_cdn(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower() and "http://" not in html
    assert client.get("/api/schema/").status_code == 200


def test_engine_never_imports_django() -> None:
    code = (
        "import sys, engine, pkgutil, importlib\n"
        "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
        "    importlib.import_module(m.name)\n"
        "leaked = [m for m in sys.modules if m.split('.')[0] == 'django']\n"
        "assert not leaked, leaked"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    assert result.returncode == 0, result.stderr
