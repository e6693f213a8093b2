from __future__ import annotations

import tempfile

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from cuakhau.testing import World, build_world


def pytest_configure(config: pytest.Config) -> None:
    # Tests serve static files from the finders; the manifest exists only after collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.STATIC_ROOT = tempfile.mkdtemp(prefix="cuakhau-static-")
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="cuakhau-media-")
    # PBKDF2 with its full work factor would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The tests pay through the demo provider, which a production start leaves off.
    from fees import providers

    settings.CUAKHAU_DEMO_PAYMENTS = True
    # Django empties tables with TRUNCATE between transactional tests on PostgreSQL; the audit
    # tables refuse TRUNCATE unless the session allows it (audit migration 0003).
    from django.db.backends.signals import connection_created

    connection_created.connect(_allow_audit_truncate, dispatch_uid="cuakhau-test-truncate")
    if providers.get(providers.DemoProvider.code) is None:
        providers.register(providers.DemoProvider())


def _allow_audit_truncate(sender: object, connection: object, **kwargs: object) -> None:
    if getattr(connection, "vendor", "") == "postgresql":
        with connection.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute("SET cuakhau.allow_audit_truncate = 'on'")


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client
