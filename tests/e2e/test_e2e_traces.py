"""Traces an operator can read, from a stack of separate processes (issue 15, §4).

The four services and the simulator run as their own processes, as ``make run`` starts them, all
pointed by the one standard variable ``OTEL_EXPORTER_OTLP_ENDPOINT`` at an OTLP/HTTP receiver in
this test (a small HTTP server decoding the protobuf ``ExportTraceServiceRequest``). One
conversation turn must read as one trace: the gateway's webhook, its publish, the agent, the
sender and its Graph API call, and the events analytics records (its batches link to the turn);
Meta's status webhooks arrive in traces of their own, linked to the turn they belong to.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

from tasklane_common.messaging import deterministic_id
from tasklane_common.testing import amqp_url, cleanup_run, database_url, new_run_id
from tasklane_stack.processes import PROCS, _environment

pytestmark = pytest.mark.e2e

SERVER, CLIENT = SpanProto.SPAN_KIND_SERVER, SpanProto.SPAN_KIND_CLIENT
PRODUCER, CONSUMER = SpanProto.SPAN_KIND_PRODUCER, SpanProto.SPAN_KIND_CONSUMER
SERVICES = ("gateway", "agent", "sender", "analytics")
DERIVED_URLS = (
    "TASKLANE_SENDER_GRAPH_BASE_URL",
    "TASKLANE_GATEWAY_GRAPH_BASE_URL",
    "TASKLANE_SIM_WEBHOOK_URL",
)
# Whatever the developer's shell says, this stack traces everything.
WEBHOOK = "POST /api/webhooks/whatsapp"
UNSET = ("OTEL_SDK_DISABLED", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG")


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    links: list[str]  # trace ids
    error: bool


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None


@dataclass
class Receiver:
    """The OTLP/HTTP traces endpoint: every span exported to ``POST /v1/traces``, decoded."""

    spans: list[Span] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, body: bytes) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        got = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for s in scope_spans.spans:
                    got.append(
                        Span(
                            service=str(resource.get("service.name")),
                            name=s.name,
                            kind=s.kind,
                            trace_id=s.trace_id.hex(),
                            span_id=s.span_id.hex(),
                            parent_id=s.parent_span_id.hex(),
                            attributes={a.key: _value(a.value) for a in s.attributes},
                            links=[link.trace_id.hex() for link in s.links],
                            error=s.status.code == s.status.STATUS_CODE_ERROR,
                        )
                    )
        with self.lock:
            self.spans.extend(got)

    def all(self) -> list[Span]:
        with self.lock:
            return list(self.spans)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, int]]:
    received = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != "/v1/traces":
                self.send_response(404)
                self.end_headers()
                return
            received.add(body)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    sim: httpx.AsyncClient
    spans: Receiver


def _stack_environment(run_id: str, otlp_port: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for proc in PROCS:
        monkeypatch.setenv(f"{proc.env_prefix}PORT", str(_free_port()))
    # The URLs _environment derives from the ports, not ones a developer's shell may hold.
    for name in (
        "TASKLANE_SENDER_GRAPH_BASE_URL",
        "TASKLANE_GATEWAY_GRAPH_BASE_URL",
        "TASKLANE_SIM_WEBHOOK_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    env = _environment()
    env.update(
        {
            "TASKLANE_AMQP_URL": amqp_url(),
            "TASKLANE_DATABASE_URL": database_url(),
            "TASKLANE_NAMESPACE": f"{run_id}.",
            # The one variable for the whole stack; the exporter adds /v1/traces.
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{otlp_port}",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "TASKLANE_SENDER_BACKOFF_INITIAL_S": "0.05",
            "TASKLANE_SENDER_POLL_INTERVAL_S": "0.1",
        }
    )
    for name in SERVICES:
        prefix = f"TASKLANE_{name.upper()}_"
        env[f"{prefix}DATABASE__SCHEMA_NAME"] = f"{run_id}_{name}"
        env[f"{prefix}LOGGING__LEVEL"] = "WARNING"
        env[f"{prefix}OUTBOX_POLL_INTERVAL_S"] = "0.2"
    for name in list(env):
        if name.startswith(("OTEL_SDK_DISABLED", "OTEL_TRACES_SAMPLER")) or name.endswith(
            "TELEMETRY__ENABLED"
        ):
            del env[name]
    return env


def _spawn(module: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", module, "serve"], env=env, stdout=subprocess.DEVNULL, start_new_session=True
    )


async def _ready(client: httpx.AsyncClient, url: str, timeout: float = 90.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            if (await client.get(url)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{url} not ready")
        await asyncio.sleep(0.3)


@pytest.fixture
async def stack(receiver: tuple[Receiver, int], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stack]:
    received, otlp_port = receiver
    run_id = new_run_id()
    env = _stack_environment(run_id, otlp_port, monkeypatch)
    children: list[subprocess.Popen[bytes]] = []
    try:
        children.extend(_spawn(proc.module, env) for proc in PROCS)
        async with httpx.AsyncClient(timeout=5.0) as probe:
            for proc in PROCS:
                port = env[f"{proc.env_prefix}PORT"]
                path = "/__sim/requests" if proc.name == "simulator" else "/health/ready"
                await _ready(probe, f"http://127.0.0.1:{port}{path}")
        sim_port = env["TASKLANE_SIM_PORT"]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sim_port}", timeout=15.0) as sim:
            yield Stack(sim, received)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        await cleanup_run(run_id)


async def _eventually_spans(stack: Stack, check: Any, timeout: float = 40.0) -> list[Span]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        spans = stack.spans.all()
        if check(spans):
            return spans
        if asyncio.get_running_loop().time() > deadline:
            names = sorted({(s.service, s.name) for s in spans})
            raise AssertionError(f"spans not seen in time; got {names}")
        await asyncio.sleep(0.2)


def _turn_of(spans: list[Span], event_id: str) -> str | None:
    for s in spans:
        if s.name == "process agent.inbound" and s.attributes.get("messaging.message.id") == event_id:
            return s.trace_id
    return None


def _complete(spans: list[Span], event_id: str) -> bool:
    """The turn's trace reached analytics (a batch linked to it) and a status was linked to it."""
    trace_id = _turn_of(spans, event_id)
    if trace_id is None:
        return False
    linked_by = {s.name for s in spans if trace_id in s.links}
    sent = any(s.trace_id == trace_id and s.name == "whatsapp send" and not s.error for s in spans)
    # Each process exports on its own schedule: wait for the status webhooks' own root spans too.
    status_traces = {s.trace_id for s in spans if s.name == "process sender.statuses" and trace_id in s.links}
    status_roots = {s.trace_id for s in spans if s.trace_id in status_traces and s.kind == SERVER}
    return sent and "process analytics.events" in linked_by and bool(status_roots)


async def test_one_conversation_turn_is_one_trace_across_the_four_services(stack: Stack) -> None:
    user = "5511988880001"
    # Meta's first answer to the reply fails (131000, HTTP 500): the sender retries, and the
    # failed call shows in the turn's trace as an error carrying Meta's code.
    fault = await stack.sim.post("/__sim/faults", json={"count": 1, "code": 131000, "status": 500})
    assert fault.status_code == 200, fault.text
    injected = await stack.sim.post(
        "/__sim/inbound", json={"from": user, "text": "Create a task to call Ana"}
    )
    assert injected.status_code == 200, injected.text
    assert injected.json()["gateway_status"] == 200
    event_id = deterministic_id("message.received", injected.json()["wamid"])

    spans = await _eventually_spans(stack, lambda got: _complete(got, event_id))
    trace_id = _turn_of(spans, event_id)
    turn = [s for s in spans if s.trace_id == trace_id]
    by_id = {s.span_id: s for s in turn}

    # One root: the gateway's webhook request; every other span of the turn hangs under it.
    roots = [s for s in turn if s.parent_id not in by_id]
    assert [(r.service, r.name, r.kind) for r in roots] == [("gateway", WEBHOOK, SERVER)]
    assert {s.service for s in turn} >= {"gateway", "agent", "sender"}

    def one(service: str, name: str, kind: int, **attrs: Any) -> Span:
        found = [
            s
            for s in turn
            if (s.service, s.name, s.kind) == (service, name, kind)
            and all(s.attributes.get(k) == v for k, v in attrs.items())
        ]
        assert found, f"no {service} span {name!r} with {attrs} in the turn"
        return found[0]

    key = "messaging.rabbitmq.destination.routing_key"
    received = one("gateway", "publish tasklane.events", PRODUCER, **{key: "message.received"})
    assert received.attributes["messaging.system"] == "rabbitmq"
    assert received.attributes["messaging.operation.type"] == "send"
    assert received.attributes["messaging.destination.name"] == "tasklane.events"
    assert received.attributes["messaging.message.id"] == event_id
    agent = one("agent", "process agent.inbound", CONSUMER)
    assert agent.parent_id == received.span_id  # the consumer continues from the publish
    assert agent.attributes["messaging.operation.type"] == "process"
    assert agent.attributes["messaging.destination.subscription.name"] == "agent.inbound"
    assert agent.attributes[key] == "message.received"
    reply = one("agent", "publish tasklane.events", PRODUCER, **{key: "reply.requested"})
    replies = one("sender", "process sender.replies", CONSUMER)
    assert replies.parent_id == reply.span_id
    one("sender", "process sender.inbound", CONSUMER)
    sent = one("sender", "publish tasklane.events", PRODUCER, **{key: "message.sent"})
    # The agent keeps the reply's wamid (a ✅ reaction to it names the task it was about).
    assert one("agent", "process agent.sent", CONSUMER).parent_id == sent.span_id

    # The Graph API calls: the failed one an error with Meta's code, then the accepted one.
    sends = [s for s in turn if s.name == "whatsapp send" and s.kind == CLIENT]
    failed = [s for s in sends if s.error]
    assert failed, "the failed Graph API call is not marked as an error"
    assert failed[0].attributes["error.type"] == "131000"
    assert failed[0].attributes["whatsapp.error.code"] == 131000
    assert any(s.attributes.get("whatsapp.message.id") for s in sends if not s.error)

    # Database statements are spans of the turn, in each service's own schema.
    db = [s for s in turn if s.kind == CLIENT and "db.system.name" in s.attributes]
    assert {s.service for s in db} >= {"gateway", "agent", "sender"}
    assert all(s.attributes["db.system.name"] == "postgresql" for s in db)

    # Analytics records events in batches: a batch span links to the turn's trace.
    batches = [s for s in spans if s.name == "process analytics.events" and trace_id in s.links]
    assert batches[0].service == "analytics"
    assert batches[0].kind == CONSUMER
    assert batches[0].attributes["messaging.batch.message_count"] >= 1

    # Meta's statuses come in webhooks of their own, each linked to the turn it is about.
    statuses = [s for s in spans if s.name == "process sender.statuses" and trace_id in s.links]
    assert all(s.trace_id != trace_id and s.kind == CONSUMER for s in statuses)
    status_roots = [s for s in spans if s.trace_id in {t.trace_id for t in statuses} and s.parent_id == ""]
    assert status_roots
    assert {(s.service, s.name, s.kind) for s in status_roots} == {("gateway", WEBHOOK, SERVER)}

    # Health probes leave no trace (the fixture polled every service's readiness).
    assert not [s for s in spans if "/health" in s.name]
    # Nor does a poll that found nothing: every trace starts at a webhook or a timer's work.
    assert not [s for s in spans if s.parent_id == "" and s.name.startswith(("SELECT", "UPDATE", "DELETE"))]
