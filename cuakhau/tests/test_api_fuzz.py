"""Issue 11: schemathesis against /api/schema/, every operation, as every persona: no 5xx.

Each operation gets hypothesis-generated requests (path, query and body from the schema, then
mutated out of it); each is sent anonymously and as five personas (API tokens, see PERSONAS),
in-process through the WSGI application. The bar is zero server errors: every bad request must
be a 4xx. Examples per operation: ``CUAKHAU_FUZZ_EXAMPLES`` (default 6; CI's budget).
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.core import NotSet

from cuakhau.testing import World, declare

# A few minutes per database: CI runs it against PostgreSQL (the production database, where it
# found an offset PostgreSQL refuses); `make test-fuzz` runs it on SQLite.
pytestmark = pytest.mark.fuzz
EXAMPLES = int(os.environ.get("CUAKHAU_FUZZ_EXAMPLES", "6"))
# A persona for each kind of access: an enterprise, gate staff (yard, agency), the customs
# administrator (selectivity rules) and the board (province-wide). The others repeat one of
# these at another gate or enterprise, or see less (driver, quarantine, border guard).
PERSONAS = ("owner", "yard_hn", "customs_hn", "customs_admin", "board")


def _openapi() -> dict[str, Any]:
    # The schema as /api/schema/ serves it, generated in-process (no database needed).
    from drf_spectacular.generators import SchemaGenerator

    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(raw, cls=DjangoJSONEncoder))


schema = schemathesis.openapi.from_dict(_openapi())


@pytest.fixture
def tokens(world: World) -> dict[str, str]:
    declare(world)  # something for the list and detail operations to find
    return {
        name: Token.objects.get_or_create(user=user)[0].key
        for name, user in world.personas().items()
        if name in PERSONAS and user is not None
    }


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
def test_no_server_error_for_any_persona(case: Any, tokens: dict[str, str]) -> None:
    path = case.formatted_path + (f"?{urlencode(case.query, doseq=True)}" if case.query else "")
    media_type = case.media_type or "application/json"
    if isinstance(case.body, NotSet) or case.body is None:
        body: Any = b""
    elif isinstance(case.body, bytes | str):
        body = case.body
    elif media_type == "application/json":
        body = json.dumps(case.body)
    else:
        body = urlencode(case.body, doseq=True) if isinstance(case.body, dict) else str(case.body)
    for name, key in [("anonymous", ""), *tokens.items()]:
        client = Client(raise_request_exception=False)
        headers = {"HTTP_AUTHORIZATION": f"Token {key}"} if key else {}
        response = client.generic(
            case.method.upper(), path, body, content_type=media_type, **headers
        )
        assert response.status_code < 500, (
            name,
            case.method,
            case.formatted_path,
            case.query,
            case.body if not isinstance(case.body, bytes) else case.body[:200],
            response.status_code,
            response.content[:300],
        )
