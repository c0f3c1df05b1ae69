"""A bounded fuzz pass with schemathesis over the OpenAPI schema (Python API, in-process ASGI app): whatever the
input, never a 5xx, and every response conforms to what the schema documents (status, content type, body, auth).

(schemathesis' pytest plugin — ``from_fixture`` — does not run under this pytest version, hence plain hypothesis.)"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from assistant.api import create_app
from assistant.api.keys import hash_key
from assistant.compose import load_assistant
from assistant.settings import Settings

EXAMPLES_PER_OPERATION = 8
KEY = "cle-de-fuzz"


@pytest.fixture(scope="module")
def api_schema(built_index: Settings, embedder, tmp_path_factory: pytest.TempPathFactory):
    app_settings = built_index.model_copy(
        update={"audit_db": tmp_path_factory.mktemp("fuzz") / "audit.sqlite3", "rate_limit_per_minute": 0,
                "api_key_hashes": [hash_key(KEY)],
                # schemathesis sends many deliberately wrong keys from one address: the throttle would answer 429.
                "auth_failures_per_minute": 10_000}
    )
    app = create_app(app_settings, assistant=load_assistant(built_index, embeddings=embedder))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_fuzz_every_operation(api_schema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def check(case) -> None:
            # Tool arguments are a free-form object checked by the tool itself (422 naming the field): schema-valid
            # data may rightly be refused there, so the « positive data accepted » heuristic does not apply.
            case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, excluded_checks=[positive_data_acceptance])

        check()
