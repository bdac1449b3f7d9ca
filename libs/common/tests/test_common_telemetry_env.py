"""The standard OpenTelemetry variables steer every service: where spans go, which are sampled."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

from tasklane_common.settings import TelemetrySettings
from tasklane_common.telemetry import _sampler, otlp_endpoint

OTLP_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*OTLP_VARIABLES, "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"):
        monkeypatch.delenv(name, raising=False)


def test_without_an_endpoint_spans_go_nowhere() -> None:
    assert otlp_endpoint(TelemetrySettings()) is None


@pytest.mark.parametrize("name", OTLP_VARIABLES)
def test_the_standard_variable_lets_the_exporter_read_its_endpoint(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "http://collector:4318")
    assert otlp_endpoint(TelemetrySettings()) == ""


def test_a_service_setting_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    url = "http://other:4318/v1/traces"
    assert otlp_endpoint(TelemetrySettings(otlp_endpoint=url)) == url


def test_the_sample_ratio_setting_applies_to_new_traces_only() -> None:
    sampler = _sampler(TelemetrySettings(sample_ratio=0.25))
    assert isinstance(sampler, ParentBased)
    assert "0.25" in sampler.get_description()


def test_otel_traces_sampler_replaces_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    assert _sampler(TelemetrySettings(sample_ratio=1.0)) is ALWAYS_OFF
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.5")
    assert "0.5" in _sampler(TelemetrySettings()).get_description()


def _provider_in_a_fresh_process(env: dict[str, str]) -> str:
    # The tracer provider is per process, set once: a child process starts from none.
    script = (
        "from opentelemetry import trace\n"
        "from tasklane_common.settings import TelemetrySettings\n"
        "from tasklane_common.telemetry import setup_tracing\n"
        "setup_tracing(TelemetrySettings(), service='gateway')\n"
        "print(type(trace.get_tracer_provider()).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, **env}, capture_output=True, check=True, text=True
    )
    return done.stdout.strip()


def test_otel_sdk_disabled_turns_tracing_off() -> None:
    assert _provider_in_a_fresh_process({"OTEL_SDK_DISABLED": "false"}) == "TracerProvider"
    assert _provider_in_a_fresh_process({"OTEL_SDK_DISABLED": "true"}) == "ProxyTracerProvider"


def test_span_destination_is_the_events_exchange() -> None:
    from tasklane_common.messaging import topology
    from tasklane_common.tracing import messaging

    assert messaging.EXCHANGE == topology.EXCHANGE
