"""deploy/k8s/base: what an operator relies on for each of the four service Deployments."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tasklane_sender.settings import SenderSettings

APP_PORTS = {"gateway": 8001, "agent": 8002, "sender": 8003, "analytics": 8004}
APP_SECRETS = {
    "gateway": {"WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"},
    "agent": set(),
    "sender": {"WHATSAPP_ACCESS_TOKEN"},
    "analytics": set(),
}
SHUTDOWN_GRACE_S = 10  # ServiceSettings.shutdown_grace_s unless the Deployment sets it.
CLOSE_MARGIN_S = 5  # closing the relay, the broker and the database after the drain.
# ServiceRuntime.stop drains consumers one after the other, each for up to shutdown_grace_s.
QUEUES_CONSUMED = {"gateway": 0, "agent": 1, "sender": 2, "analytics": 1}
NAMESPACE = "tasklane"
# What a shutdown bounded step by step leaves before the kill, at least.
STOP_MARGIN_S = 10


def deployment(k8s: Any, svc: str) -> dict[str, Any]:
    result: dict[str, Any] = k8s.one("Deployment", svc, folder="base")
    return result


def pod(k8s: Any, svc: str) -> dict[str, Any]:
    result: dict[str, Any] = deployment(k8s, svc)["spec"]["template"]["spec"]
    return result


def main_container(k8s: Any, svc: str) -> dict[str, Any]:
    containers = pod(k8s, svc)["containers"]
    assert len(containers) == 1, "one container per pod: probes and scaling are per service"
    result: dict[str, Any] = containers[0]
    return result


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def resolve_port(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    return int(named[port])


def config_value(k8s: Any, item: dict[str, Any]) -> str:
    if "value" in item:
        return str(item["value"])
    ref = item["valueFrom"]["configMapKeyRef"]
    return str(k8s.one("ConfigMap", ref["name"])["data"][ref["key"]])


@pytest.mark.parametrize("svc", APP_PORTS)
def test_container_port_matches_the_service_contract(k8s: Any, svc: str) -> None:
    container = main_container(k8s, svc)
    variables = env_of(container)
    prefix = f"TASKLANE_{svc.upper()}_"
    assert resolve_port(container, "http") == APP_PORTS[svc]
    assert int(variables[prefix + "PORT"]["value"]) == APP_PORTS[svc]
    assert variables[prefix + "HOST"]["value"] == "0.0.0.0"
    assert container["command"] == ["python", "-m", f"tasklane_{svc}"]
    assert container.get("args", ["serve"]) == ["serve"]


@pytest.mark.parametrize("svc", APP_PORTS)
def test_probes_use_the_health_endpoints_on_the_container_port(k8s: Any, svc: str) -> None:
    container = main_container(k8s, svc)
    expected = {
        "startupProbe": "/health/live",
        "livenessProbe": "/health/live",
        "readinessProbe": "/health/ready",
    }
    for probe, path in expected.items():
        http = container[probe]["httpGet"]
        assert http["path"] == path, probe
        assert resolve_port(container, http["port"]) == APP_PORTS[svc], probe
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 30, "start-up needs time to connect"


@pytest.mark.parametrize("svc", APP_PORTS)
def test_resources_have_requests_and_limits(k8s: Any, svc: str) -> None:
    for container in [main_container(k8s, svc), *pod(k8s, svc)["initContainers"]]:
        resources = container["resources"]
        for section in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[section]), f"{container['name']} {section}"


@pytest.mark.parametrize("svc", APP_PORTS)
def test_pods_run_as_non_root_with_a_read_only_root_and_no_capabilities(k8s: Any, svc: str) -> None:
    spec = pod(k8s, svc)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert spec["automountServiceAccountToken"] is False
    for container in [*spec["containers"], *spec["initContainers"]]:
        ctx = container["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True, container["name"]
        assert ctx["allowPrivilegeEscalation"] is False, container["name"]
        assert ctx["capabilities"]["drop"] == ["ALL"], container["name"]
        # A read-only root still needs a writable /tmp for Python and its libraries.
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert "/tmp" in mounts, container["name"]  # noqa: S108 - an emptyDir, not a shared /tmp


@pytest.mark.parametrize("svc", APP_PORTS)
def test_migrations_run_in_an_init_container_and_not_at_startup(k8s: Any, svc: str) -> None:
    spec = pod(k8s, svc)
    (migrate,) = [c for c in spec["initContainers"] if c["name"] == "migrate"]
    assert migrate["command"] == ["python", "-m", f"tasklane_{svc}", "migrate"]
    assert migrate["image"] == main_container(k8s, svc)["image"]
    db = env_of(migrate)["TASKLANE_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert db == env_of(main_container(k8s, svc))["TASKLANE_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    flag = env_of(main_container(k8s, svc))[f"TASKLANE_{svc.upper()}_DATABASE__MIGRATE_ON_STARTUP"]
    assert flag["value"] == "false"


@pytest.mark.parametrize("svc", APP_PORTS)
def test_credentials_and_secrets_come_from_the_secret(k8s: Any, svc: str) -> None:
    variables = env_of(main_container(k8s, svc))
    for name in {"TASKLANE_AMQP_URL", "TASKLANE_DATABASE_URL", *APP_SECRETS[svc]}:
        ref = variables[name]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == "tasklane-secrets", name
    others = set().union(*APP_SECRETS.values()) - APP_SECRETS[svc]
    assert not others & set(variables), f"{svc} must not receive another service's secrets"


def test_sender_calls_the_real_graph_api(k8s: Any) -> None:
    url = config_value(k8s, env_of(main_container(k8s, "sender"))["TASKLANE_SENDER_GRAPH_BASE_URL"])
    assert url == "https://graph.facebook.com"


@pytest.mark.parametrize("svc", APP_PORTS)
def test_traces_go_to_the_collector_with_w3c_propagation(k8s: Any, svc: str) -> None:
    variables = env_of(main_container(k8s, svc))
    # The standard variable; the exporter appends /v1/traces to it.
    endpoint = urlsplit(config_value(k8s, variables["OTEL_EXPORTER_OTLP_ENDPOINT"]))
    assert endpoint.path in {"", "/"}
    host = endpoint.hostname or ""
    collector = k8s.one("Service", host.split(".")[0])
    assert host.split(".")[1] == collector["metadata"]["namespace"]
    assert endpoint.port in {p["port"] for p in collector["spec"]["ports"]}
    assert "tracecontext" in config_value(k8s, variables["OTEL_PROPAGATORS"]).split(",")


@pytest.mark.parametrize("svc", APP_PORTS)
def test_termination_grace_covers_prestop_and_the_drain(k8s: Any, svc: str) -> None:
    container = main_container(k8s, svc)
    grace = env_of(container).get(f"TASKLANE_{svc.upper()}_SHUTDOWN_GRACE_S")
    shutdown = float(grace["value"]) if grace else SHUTDOWN_GRACE_S
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    needed = float(pre_stop[1]) + shutdown * max(1, QUEUES_CONSUMED[svc]) + CLOSE_MARGIN_S
    assert pod(k8s, svc)["terminationGracePeriodSeconds"] > needed


def test_the_sender_stops_well_within_its_termination_grace(k8s: Any) -> None:
    """Every step of the sender's shutdown is bounded by a setting (docs/sender.md, "Shutdown"):
    their sum, after the preStop sleep, leaves a margin before the kill."""
    container = main_container(k8s, "sender")
    variables = env_of(container)

    def setting(name: str) -> float:
        item = variables.get(f"TASKLANE_SENDER_{name.upper()}")
        default = SenderSettings.model_fields[name].default
        return float(item["value"]) if item else float(default)

    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    longest = (
        float(pre_stop[1])
        + setting("http_shutdown_grace_s")
        # The dispatcher and the consumers drain side by side, within one budget.
        + setting("shutdown_grace_s")
        + setting("shutdown_close_s")
    )
    assert longest + STOP_MARGIN_S <= pod(k8s, "sender")["terminationGracePeriodSeconds"]


@pytest.mark.parametrize("svc", APP_PORTS)
def test_service_pdb_and_hpa_select_the_deployment(k8s: Any, svc: str) -> None:
    dep = deployment(k8s, svc)
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    selector = dep["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()

    service = k8s.one("Service", svc)
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (port,) = service["spec"]["ports"]
    assert port["port"] == APP_PORTS[svc]
    assert resolve_port(main_container(k8s, svc), port["targetPort"]) == APP_PORTS[svc]

    pdb = k8s.one("PodDisruptionBudget", svc)
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert "maxUnavailable" in pdb["spec"] or "minAvailable" in pdb["spec"]

    hpa = k8s.one("HorizontalPodAutoscaler", svc)
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", svc)
    assert hpa["spec"]["minReplicas"] >= 2, "one replica cannot survive a node drain"
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]


@pytest.mark.parametrize("svc", APP_PORTS)
def test_replica_count_is_owned_by_the_autoscaler(k8s: Any, svc: str) -> None:
    # With spec.replicas set, every `kubectl apply` would reset a scaled-out Deployment.
    assert "replicas" not in deployment(k8s, svc)["spec"]


def test_every_namespaced_object_is_in_the_tasklane_namespace(k8s: Any) -> None:
    for path, obj in k8s.objects:
        if obj["kind"] == "Namespace":
            assert obj["metadata"]["name"] == NAMESPACE
        else:
            assert obj["metadata"].get("namespace") == NAMESPACE, f"{path.name}: {obj['kind']}"
