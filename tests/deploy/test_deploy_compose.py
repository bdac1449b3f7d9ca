"""docker-compose.yml: the dev stack starts in the right order and each service is wired up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_PORTS = {"gateway": 8001, "agent": 8002, "sender": 8003, "analytics": 8004}
APP_SECRETS = {
    "gateway": {"WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"},
    "agent": set(),
    "sender": {"WHATSAPP_ACCESS_TOKEN"},
    "analytics": set(),
}
SIMULATOR_PORT = 8005
SHUTDOWN_GRACE_S = 10  # ServiceSettings.shutdown_grace_s, per consumer drained one after the other.
QUEUES_CONSUMED = {"gateway": 0, "agent": 1, "sender": 2, "analytics": 1}
IMAGE = re.compile(
    r"^(?P<registry>\$\{TASKLANE_REGISTRY:-[^}]+\})/(?P<svc>[a-z]+):(?P<tag>\$\{TASKLANE_TAG:-[^}]+\})$"
)
SUBSTITUTION = re.compile(r"\$\{(\w+):-([^}]*)\}")


def resolve_defaults(value: str) -> str:
    """What compose makes of ``${VAR:-default}`` when VAR is unset."""
    return SUBSTITUTION.sub(lambda m: m.group(2), value)


def env(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment", {})
    assert isinstance(raw, dict), "environment must be a mapping"
    return {k: str(v) for k, v in raw.items()}


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, f"unexpected duration {duration!r}"
    return float(match.group(1))


def container_ports(service: dict[str, Any]) -> set[int]:
    return {int(str(p).rsplit(":", 1)[-1]) for p in service.get("ports", [])}


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def test_stack_has_infrastructure_apps_simulator_and_one_migration_per_app(
    services: dict[str, Any],
) -> None:
    expected = {"rabbitmq", "postgres", "otel-collector", "simulator", *APP_PORTS}
    expected |= {f"migrate-{svc}" for svc in APP_PORTS}
    assert expected <= set(services)


@pytest.mark.parametrize("name", [*APP_PORTS, "simulator"])
def test_each_image_is_built_from_the_dockerfile_with_its_service_arg(
    services: dict[str, Any], name: str
) -> None:
    service = services[name]
    build = service["build"]
    assert build["context"] == "."
    assert (ROOT / build.get("dockerfile", "Dockerfile")).is_file()
    assert build["args"]["SERVICE"] == name
    match = IMAGE.match(service["image"])
    assert match, service["image"]
    assert match.group("svc") == name


def test_all_own_images_share_one_registry_and_tag(services: dict[str, Any]) -> None:
    own = [s["image"] for s in services.values() if "build" in s]
    matches = [IMAGE.match(img) for img in own]
    assert all(matches), own
    assert len({(m.group("registry"), m.group("tag")) for m in matches if m}) == 1


@pytest.mark.parametrize("name", APP_PORTS)
def test_app_listens_on_its_port_on_all_interfaces(services: dict[str, Any], name: str) -> None:
    port = APP_PORTS[name]
    variables = env(services[name])
    prefix = f"TASKLANE_{name.upper()}_"
    assert variables[prefix + "HOST"] == "0.0.0.0"
    assert int(variables[prefix + "PORT"]) == port
    assert container_ports(services[name]) == {port}


@pytest.mark.parametrize("name", APP_PORTS)
def test_app_reaches_broker_and_database_with_their_credentials(services: dict[str, Any], name: str) -> None:
    variables = {k: resolve_defaults(v) for k, v in env(services[name]).items()}
    rabbit = {k: resolve_defaults(str(v)) for k, v in services["rabbitmq"]["environment"].items()}
    pg = {k: resolve_defaults(str(v)) for k, v in services["postgres"]["environment"].items()}

    amqp = urlsplit(variables["TASKLANE_AMQP_URL"])
    assert (amqp.scheme, amqp.hostname, amqp.port) == ("amqp", "rabbitmq", 5672)
    assert (amqp.username, amqp.password) == (
        rabbit["RABBITMQ_DEFAULT_USER"],
        rabbit["RABBITMQ_DEFAULT_PASS"],
    )

    db = urlsplit(variables["TASKLANE_DATABASE_URL"])
    assert (db.scheme, db.hostname, db.port) == ("postgresql+asyncpg", "postgres", 5432)
    assert (db.username, db.password) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"])
    assert db.path == "/" + pg["POSTGRES_DB"]


@pytest.mark.parametrize("name", APP_PORTS)
def test_app_waits_for_broker_database_and_its_migration(services: dict[str, Any], name: str) -> None:
    depends = services[name]["depends_on"]
    assert depends["rabbitmq"]["condition"] == "service_healthy"
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends[f"migrate-{name}"]["condition"] == "service_completed_successfully"
    # The one-shot container migrated; the service must not race it at start-up.
    assert env(services[name])[f"TASKLANE_{name.upper()}_DATABASE__MIGRATE_ON_STARTUP"] == "false"


@pytest.mark.parametrize("name", APP_PORTS)
def test_migration_runs_once_with_the_same_image_against_the_database(
    services: dict[str, Any], name: str
) -> None:
    migrate = services[f"migrate-{name}"]
    assert migrate["image"] == services[name]["image"]
    assert migrate["build"] == services[name]["build"]
    assert migrate["command"] == ["python", "-m", f"tasklane_{name}", "migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert env(migrate)["TASKLANE_DATABASE_URL"] == env(services[name])["TASKLANE_DATABASE_URL"]


@pytest.mark.parametrize("name", APP_PORTS)
def test_app_runs_its_module_and_restarts(services: dict[str, Any], name: str) -> None:
    service = services[name]
    assert service["command"][:3] == ["python", "-m", f"tasklane_{name}"]
    assert service["restart"] in {"unless-stopped", "always"}
    drain = SHUTDOWN_GRACE_S * max(1, QUEUES_CONSUMED[name])
    assert seconds(service["stop_grace_period"]) > drain + 5


@pytest.mark.parametrize("name", APP_PORTS)
def test_app_healthcheck_probes_its_readiness_endpoint(services: dict[str, Any], name: str) -> None:
    check = services[name]["healthcheck"]
    command = " ".join(check["test"])
    assert f"http://127.0.0.1:{APP_PORTS[name]}/health/ready" in command
    assert check["retries"] >= 3


@pytest.mark.parametrize("name", APP_PORTS)
def test_app_exports_traces_to_the_collector(services: dict[str, Any], name: str) -> None:
    # One variable for the whole stack (a developer's own collector: OTEL_EXPORTER_OTLP_ENDPOINT=...).
    value = env(services[name])["OTEL_EXPORTER_OTLP_ENDPOINT"]
    assert value == "${OTEL_EXPORTER_OTLP_ENDPOINT:-http://otel-collector:4318}"
    endpoint = urlsplit(value.removeprefix("${OTEL_EXPORTER_OTLP_ENDPOINT:-").removesuffix("}"))
    assert (endpoint.hostname, endpoint.port) == ("otel-collector", 4318)


def test_collector_loads_the_config_in_the_repository(services: dict[str, Any]) -> None:
    collector = services["otel-collector"]
    assert collector["image"].startswith("otel/opentelemetry-collector-contrib:")
    assert not collector["image"].endswith(":latest")
    mounts = [v.split(":") for v in collector["volumes"]]
    config_mount = next(m for m in mounts if m[0].startswith("./deploy/otel/"))
    assert (ROOT / config_mount[0]).is_file()
    assert f"--config={config_mount[1]}" in collector["command"]
    config = yaml.safe_load((ROOT / config_mount[0]).read_text())
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"


@pytest.mark.parametrize("name", APP_PORTS)
def test_secrets_come_from_the_environment_with_dev_defaults_only(
    services: dict[str, Any], name: str
) -> None:
    variables = env(services[name])
    for secret in APP_SECRETS[name]:
        value = variables[secret]
        match = SUBSTITUTION.fullmatch(value)
        assert match, f"{name}.{secret} must be ${{{secret}:-dev-...}}, not a literal"
        assert match.group(1) == secret
        assert match.group(2).startswith("dev-")


def test_simulator_shares_the_secrets_of_gateway_and_sender(services: dict[str, Any]) -> None:
    sim = env(services["simulator"])
    assert sim["TASKLANE_SIM_APP_SECRET"] == env(services["gateway"])["WHATSAPP_APP_SECRET"]
    assert sim["TASKLANE_SIM_ACCESS_TOKEN"] == env(services["sender"])["WHATSAPP_ACCESS_TOKEN"]


def test_simulator_and_sender_and_gateway_point_at_each_other(services: dict[str, Any]) -> None:
    sim = env(services["simulator"])
    webhook = urlsplit(sim["TASKLANE_SIM_WEBHOOK_URL"])
    assert (webhook.hostname, webhook.port, webhook.path) == (
        "gateway",
        APP_PORTS["gateway"],
        "/api/webhooks/whatsapp",
    )
    graph = urlsplit(env(services["sender"])["TASKLANE_SENDER_GRAPH_BASE_URL"])
    assert (graph.hostname, graph.port) == ("simulator", SIMULATOR_PORT)
    assert (sim["TASKLANE_SIM_HOST"], int(sim["TASKLANE_SIM_PORT"])) == ("0.0.0.0", SIMULATOR_PORT)
    assert container_ports(services["simulator"]) == {SIMULATOR_PORT}
    check = " ".join(services["simulator"]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{SIMULATOR_PORT}/health/live" in check


def test_broker_supports_quorum_queues_and_the_management_api(services: dict[str, Any]) -> None:
    rabbit = services["rabbitmq"]
    match = re.fullmatch(r"rabbitmq:(\d+)\.(\d+)[\w.]*-management", rabbit["image"])
    assert match, rabbit["image"]
    assert (int(match.group(1)), int(match.group(2))) >= (3, 10)
    assert "rabbitmq-diagnostics" in rabbit["healthcheck"]["test"]


def test_database_is_postgres_16_with_a_tcp_healthcheck(services: dict[str, Any]) -> None:
    pg = services["postgres"]
    assert re.fullmatch(r"postgres:16(\.\d+)?(-\w+)?", pg["image"])
    check = " ".join(pg["healthcheck"]["test"])
    assert "pg_isready" in check
    assert "-h 127.0.0.1" in check


def test_host_ports_are_bound_to_loopback_only(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for mapping in service.get("ports", []):
            assert str(mapping).startswith("127.0.0.1:"), f"{name} publishes {mapping} on all interfaces"
