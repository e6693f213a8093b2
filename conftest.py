from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
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


@pytest.fixture(scope="module")
def shared_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """One world for a whole module of persona matrices (hundreds of tests that each read it and
    change little): built once inside an outer transaction, so each test's own transaction is a
    savepoint that rolls back to it, and the module's end rolls the world back too. A module opts
    in by overriding ``world`` with it. Building a world per test was a quarter of CI's time."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client
