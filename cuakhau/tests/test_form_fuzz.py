"""Issue 24, finding 6: the web forms gave 500s the API did not (an offset of +16:00, the years
1 and 9999). Every form of the URL table (``FORMS`` in test_web_forms.py) is posted with
hypothesis-made values, as a persona that may use it: any field may be text in any script,
control and bidi characters, numbers the other way round, huge or negative, dates and times out
of every bound. The bar is zero server errors: a bad value is a 4xx naming its field. Runs
beside schemathesis (``-m fuzz``: CI on PostgreSQL, ``make test-fuzz``); examples per form:
``CUAKHAU_FUZZ_EXAMPLES`` (default 6)."""

from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuakhau.testing import World, declare
from cuakhau.tests.test_web_forms import FORMS

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]
EXAMPLES = int(os.environ.get("CUAKHAU_FUZZ_EXAMPLES", "6"))

#: Values people and attackers type: each known once to have broken a form somewhere.
TRICKY = [
    "",
    " ",
    "0",
    "-1",
    "15.000",
    "15,000",
    "15.5",
    "1e309",
    "NaN",
    "9" * 40,
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "2026-12-10T10:00+16:00",
    "2026-12-10T10:00",
    "31/02/2026",
    "2026-13-45",
    "25:61",
    "huu-nghi/nowhere",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    '=HYPERLINK("http://x")',
    "\u202egnp.exe",
    "Đồng Đăng 同登",
    "on",
]
VALUES = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=200),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)


def _persona(allowed: set[str]) -> str:
    signed_in = sorted(p for p in allowed if p != "anonymous")
    return signed_in[0] if signed_in else "anonymous"


@pytest.mark.parametrize("route", sorted(FORMS))
def test_no_form_answers_a_server_error(world: World, route: str) -> None:
    form = FORMS[route]
    declaration = declare(world)
    state = form.setup(world, declaration) if form.setup else {}
    declaration.refresh_from_db()
    persona = _persona(form.allowed)
    client = Client(raise_request_exception=False)
    user = world.personas()[persona]
    if user is not None:
        client.force_login(user)
    url = form.url(world, declaration, state)
    base = form.body(world, persona, state)
    fields = [k for k, v in base.items() if not isinstance(v, SimpleUploadedFile)]
    extra = ["action", "reason", "starts_at", "effective_from", "planned_arrival", "date"]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        changed=st.fixed_dictionaries({}, optional=dict.fromkeys(fields, VALUES)),
        added=st.dictionaries(st.sampled_from(extra), VALUES, max_size=2),
    )
    def post(changed: dict[str, str], added: dict[str, str]) -> None:
        body = {**base, **added, **changed}
        for value in body.values():
            if isinstance(value, SimpleUploadedFile):
                value.seek(0)
        response = client.post(url, body, HTTP_ACCEPT_LANGUAGE="vi")
        assert response.status_code < 500, (route, persona, body, response.status_code)

    post()
