"""Schemathesis over the whole OpenAPI, in process, as an admin: no answer is a 5xx.

Bounded (a few examples per operation, derandomised: the same cases every run) and on a
database of its own, since the fuzzer writes what it makes up.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from api.app import create_app
from tests.api.records.conftest import _load, _setup

EXAMPLES_PER_OPERATION = 4
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@pytest.fixture(scope="module")
def fuzz_setup(make_test_database, boundary_mirror, tmp_path_factory):
    url = _load(make_test_database, boundary_mirror, tmp_path_factory.mktemp("f"), "api_fuzz")
    setup = _setup(url, tmp_path_factory.mktemp("fuzz-app"))
    yield setup
    setup.engine.dispose()


def _runner(operation, mode: GenerationMode, headers: dict, failures: list[str]):
    """A hypothesis test calling ``operation`` with cases of ``mode``, noting any 5xx."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck), database=None)  # fmt: skip
    def call(case):
        response = case.call(headers=headers)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} ({mode.value}) → "
                f"{response.status_code}: {response.text[:300]}"
            )

    return call


def test_no_operation_answers_5xx(fuzz_setup):
    app = create_app(fuzz_setup.settings, engine=fuzz_setup.engine)
    app.state.engine = fuzz_setup.engine  # what the lifespan does; the fuzzer calls the app bare
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # logging out would revoke the fuzzer's own token
    schema = schema.exclude(path=["/auth/logout", "/logout"])
    headers = {"Authorization": f"Bearer {fuzz_setup.tokens['admin']}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operations += 1
        for mode in MODES:
            try:
                _runner(result.ok(), mode, headers, failures)()
            except Unsatisfiable:  # no invalid input exists (an operation without parameters)
                assert mode is GenerationMode.NEGATIVE
    assert operations >= 20
    assert not failures, "\n".join(failures)
