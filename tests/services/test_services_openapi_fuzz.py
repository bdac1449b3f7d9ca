"""A bounded schemathesis pass over every service's OpenAPI, with an admin key, on the real
PostgreSQL and RabbitMQ: no request may be answered with a server error, and every answer must
match what the OpenAPI documents (status, content type, body schema).

Each service runs in a uvicorn thread (its lifespan included) so that schemathesis calls it over
real HTTP. Examples are few per operation and derandomized, so the pass is repeatable and
cheap; ``TASKLANE_FUZZ_EXAMPLES`` raises the count for a longer hunt.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from services_apps import ADMIN, SERVICES

from tasklane_common.testing import cleanup_run, new_run_id

# A 422 for a request the schema allows is no defect here: some rules cannot be said in OpenAPI
# ("from" before "to"). Server errors and answers off the schema are, and so is a status code
# the operation does not list (each route lists its own refusals: there is no catch-all 4XX).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = int(os.environ.get("TASKLANE_FUZZ_EXAMPLES", "8"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def _probe(operation: Any, base_url: str, failures: list[str], calls: list[int]) -> None:
    """Every example of one operation; its failures (server errors, answers off the schema) are
    recorded and the pass goes on to the next operation, so one run reports all of them."""
    label = operation.label

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def probe(case: Any) -> None:
        calls.append(1)
        response = case.call(base_url=base_url, headers=ADMIN)
        case.validate_response(response, checks=CHECKS)

    try:
        probe()
    except Exception as exc:  # recorded, on to the next operation
        failures.append(f"{label}: {type(exc).__name__}: {str(exc)[:800]}")


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_openapi_holds_under_fuzzing(service: str) -> None:
    run_id = new_run_id()
    app = SERVICES[service](run_id)
    failures: list[str] = []
    calls: list[int] = []
    try:
        with serving(app) as base_url:
            schema = schemathesis.openapi.from_dict(app.openapi())
            operations = list(schema.get_all_operations())
            for result in operations:
                _probe(result.ok(), base_url, failures, calls)
    finally:
        asyncio.run(cleanup_run(run_id))
    assert not failures, "\n\n".join(failures)
    assert calls
