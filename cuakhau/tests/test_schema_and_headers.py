"""What every client can rely on: the OpenAPI document /api/schema/ serves is valid OpenAPI 3
(generated clients reject an invalid one: a field with ``default: ''`` under ``minLength: 1``
once made it so), and every response says which browser features no page uses."""

from __future__ import annotations

import pytest
import yaml
from django.test import Client
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

pytestmark = pytest.mark.django_db


def _defaults_fit(node: object, path: str = "") -> list[str]:
    """Every string default of a schema satisfies its own minLength and maxLength."""
    problems: list[str] = []
    if isinstance(node, dict):
        default = node.get("default")
        if isinstance(default, str):
            if len(default) < node.get("minLength", 0):
                problems.append(f"{path}: default {default!r} under minLength")
            if "maxLength" in node and len(default) > node["maxLength"]:
                problems.append(f"{path}: default {default!r} over maxLength")
        for key, value in node.items():
            problems += _defaults_fit(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            problems += _defaults_fit(value, f"{path}/{i}")
    return problems


def test_the_served_schema_is_valid_openapi() -> None:
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    try:
        validate(document)
    except OpenAPIValidationError as exc:  # pragma: no cover - the failure is the message
        pytest.fail(f"/api/schema/ is not valid OpenAPI: {exc}")
    assert _defaults_fit(document) == []


@pytest.mark.parametrize("path", ["/", "/api/v1/gates/", "/accounts/login/", "/no-such-page/"])
def test_every_response_denies_the_browser_features_no_page_uses(path: str) -> None:
    policy = Client().get(path)["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in policy, (path, feature)
