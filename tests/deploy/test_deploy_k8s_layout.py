"""deploy/k8s as a whole: kustomizations, the Secret template, images, ingress, network policies,
the optional KEDA overlay and the trace collector."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tasklane_common.messaging.topology import ALL_QUEUES

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
APP_PORTS = {"gateway": 8001, "agent": 8002, "sender": 8003, "analytics": 8004}
IMAGE = re.compile(r"^(?P<registry>[\w.:-]+(?:/[\w.-]+)*)/(?P<svc>[a-z]+):(?P<tag>[\w.-]+)$")
PLACEHOLDER = "REPLACE_ME"
NAME = "app.kubernetes.io/name"


def kustomizations() -> list[Path]:
    return sorted(K8S.rglob("kustomization.yaml"))


def containers_of(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.mark.parametrize("kustomization", kustomizations(), ids=lambda p: p.parent.name)
def test_kustomization_lists_every_manifest_in_its_folder(kustomization: Path) -> None:
    spec = yaml.safe_load(kustomization.read_text())
    resources = spec["resources"]
    folder = kustomization.parent
    for entry in resources:
        assert (folder / entry).exists(), f"{entry} listed but missing"
    listed = {(folder / entry).resolve() for entry in resources}
    manifests = {p.resolve() for p in folder.glob("*.yaml") if p.name != "kustomization.yaml"}
    assert manifests <= listed, f"not listed: {sorted(p.name for p in manifests - listed)}"


def test_the_base_deploys_every_service() -> None:
    spec = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    assert spec["namespace"] == "tasklane"
    assert {f"{svc}.yaml" for svc in APP_PORTS} <= set(spec["resources"])
    assert "namespace.yaml" in spec["resources"]


def test_secret_template_holds_placeholders_only_and_is_never_applied(k8s: Any) -> None:
    (secret,) = k8s.of_kind("Secret")
    assert "data" not in secret, "base64 data hides what is committed; use stringData placeholders"
    for key, value in secret["stringData"].items():
        assert PLACEHOLDER in value, f"{key} looks like a real value"
    # Applying a template would overwrite the real credentials with placeholders.
    (path,) = [p for p, obj in k8s.objects if obj["kind"] == "Secret"]
    for kustomization in kustomizations():
        listed = yaml.safe_load(kustomization.read_text())["resources"]
        assert path.resolve() not in {(kustomization.parent / e).resolve() for e in listed}
        assert not path.resolve().is_relative_to(kustomization.parent.resolve())


def test_every_secret_and_config_key_referenced_exists(k8s: Any) -> None:
    (secret,) = k8s.of_kind("Secret")
    secret_keys = {secret["metadata"]["name"]: set(secret["stringData"])}
    config_keys = {c["metadata"]["name"]: set(c["data"]) for c in k8s.of_kind("ConfigMap")}
    for dep in k8s.of_kind("Deployment"):
        for container in containers_of(dep):
            for item in container.get("env", []):
                source = item.get("valueFrom", {})
                if "secretKeyRef" in source:
                    ref = source["secretKeyRef"]
                    assert ref["key"] in secret_keys[ref["name"]], f"{container['name']}: {ref}"
                if "configMapKeyRef" in source:
                    ref = source["configMapKeyRef"]
                    assert ref["key"] in config_keys[ref["name"]], f"{container['name']}: {ref}"
    for auth in k8s.of_kind("TriggerAuthentication"):
        for ref in auth["spec"]["secretTargetRef"]:
            assert ref["key"] in secret_keys[ref["name"]]


def test_every_image_follows_one_registry_and_tag_scheme(k8s: Any) -> None:
    own: dict[str, set[tuple[str, str]]] = {}
    for dep in k8s.of_kind("Deployment"):
        for container in containers_of(dep):
            image = container["image"]
            if image.startswith("otel/"):
                assert not image.endswith(":latest"), "pin the collector version"
                continue
            match = IMAGE.match(image)
            assert match, image
            assert match.group("svc") == dep["metadata"]["name"], f"{dep['metadata']['name']} runs {image}"
            own.setdefault(match.group("svc"), set()).add((match.group("registry"), match.group("tag")))
    assert set(own) == set(APP_PORTS)
    assert len(set().union(*own.values())) == 1, own

    ((registry, tag),) = set().union(*own.values())
    spec = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    overrides = {i["name"]: i["newTag"] for i in spec["images"]}
    assert overrides == {f"{registry}/{svc}": tag for svc in APP_PORTS}


def test_collector_image_matches_compose(k8s: Any, compose: dict[str, Any]) -> None:
    (collector,) = [c for c in containers_of(k8s.one("Deployment", "otel-collector"))]
    assert collector["image"] == compose["services"]["otel-collector"]["image"]


def test_ingress_exposes_only_the_webhook_over_tls(k8s: Any) -> None:
    (ingress,) = k8s.of_kind("Ingress")
    spec = ingress["spec"]
    tls_hosts = {h for entry in spec["tls"] for h in entry["hosts"]}
    assert all(entry.get("secretName") for entry in spec["tls"])
    backends = []
    for rule in spec["rules"]:
        assert rule["host"] in tls_hosts, "Meta only calls HTTPS webhooks"
        for path in rule["http"]["paths"]:
            backends.append((path["path"], path["backend"]["service"]))
    assert [p for p, _ in backends] == ["/api/webhooks/whatsapp"]
    (_, backend) = backends[0]
    service = k8s.one("Service", backend["name"])
    assert backend["name"] == "gateway"
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


def test_network_policies_deny_by_default_and_open_real_ports(k8s: Any) -> None:
    policies = k8s.of_kind("NetworkPolicy")
    default = [p for p in policies if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress")]
    assert default, "no default-deny policy"
    assert default[0]["spec"]["policyTypes"] == ["Ingress"]

    listening: dict[str, set[int]] = {}
    for dep in k8s.of_kind("Deployment"):
        containers = dep["spec"]["template"]["spec"]["containers"]
        listening[dep["metadata"]["name"]] = {p["containerPort"] for c in containers for p in c["ports"]}
    opened = {
        port["port"]
        for policy in policies
        for rule in policy["spec"].get("ingress", [])
        for port in rule.get("ports", [])
    }
    assert opened <= set().union(*listening.values()), "a policy opens a port nothing listens on"
    gateway = [p for p in policies if p["spec"]["podSelector"].get("matchLabels", {}).get(NAME) == "gateway"]
    gateway_ports = {port["port"] for p in gateway for r in p["spec"]["ingress"] for port in r["ports"]}
    assert APP_PORTS["gateway"] in gateway_ports, "the ingress controller cannot reach the gateway"


def test_keda_overlay_scales_queue_consumers_on_real_queues(k8s: Any) -> None:
    queues = {q.name for q in ALL_QUEUES}
    scaled = k8s.of_kind("ScaledObject", folder="keda")
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scaled} == {"agent", "sender"}
    for obj in scaled:
        target = obj["spec"]["scaleTargetRef"]["name"]
        k8s.one("Deployment", target, folder="base")
        rabbit = [t for t in obj["spec"]["triggers"] if t["type"] == "rabbitmq"]
        assert rabbit, target
        for trigger in rabbit:
            # Over AMQP KEDA sees only ready messages, not the unacked backlog.
            assert trigger["metadata"]["protocol"] == "http"
            assert trigger["metadata"]["queueName"] in queues
            assert trigger["metadata"]["queueName"].split(".")[0] == target
            auth = k8s.one("TriggerAuthentication", trigger["authenticationRef"]["name"])
            assert {r["parameter"] for r in auth["spec"]["secretTargetRef"]} == {"host"}
        assert obj["spec"]["minReplicaCount"] >= 2


def test_keda_overlay_removes_the_cpu_hpa_of_what_it_scales(k8s: Any) -> None:
    # KEDA creates its own HPA; a second one on the same Deployment would fight it.
    spec = yaml.safe_load((K8S / "keda" / "kustomization.yaml").read_text())
    assert "../base" in spec["resources"]
    deleted = set()
    for patch in spec["patches"]:
        body = yaml.safe_load(patch["patch"])
        if body.get("$patch") == "delete":
            assert patch["target"]["kind"] == body["kind"] == "HorizontalPodAutoscaler"
            deleted.add(patch["target"]["name"])
    scaled = {s["spec"]["scaleTargetRef"]["name"] for s in k8s.of_kind("ScaledObject")}
    assert deleted == scaled
    for name in deleted:
        k8s.one("HorizontalPodAutoscaler", name, folder="base")


def test_collector_in_cluster_runs_the_same_pipeline_as_compose(k8s: Any) -> None:
    config_map = k8s.one("ConfigMap", "otel-collector")
    ((key, embedded),) = config_map["data"].items()
    reference = yaml.safe_load((ROOT / "deploy" / "otel" / "collector.yaml").read_text())
    assert yaml.safe_load(embedded) == reference

    pipeline = reference["service"]["pipelines"]["traces"]
    assert pipeline["receivers"] == ["otlp"]
    assert "debug" in pipeline["exporters"]
    assert reference["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"

    (container,) = containers_of(k8s.one("Deployment", "otel-collector"))
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    assert f"--config={mount['mountPath']}/{key}" in container["args"]
    health = reference["extensions"]["health_check"]["endpoint"]
    assert health.startswith("0.0.0.0:"), "probes come from outside the container"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["livenessProbe"]["httpGet"]["port"] == "health"
    assert ports["health"] == int(health.rsplit(":", 1)[1])
    assert ports["otlp-http"] == 4318


def test_every_pod_meets_the_restricted_pod_security_standard(k8s: Any) -> None:
    (namespace,) = k8s.of_kind("Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for dep in k8s.of_kind("Deployment"):
        spec = dep["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for container in containers_of(dep):
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False, container["name"]
            assert ctx["capabilities"]["drop"] == ["ALL"], container["name"]


def test_ingress_accepts_the_largest_webhook_the_gateway_accepts(k8s: Any) -> None:
    from tasklane_gateway.settings import GatewaySettings

    (ingress,) = k8s.of_kind("Ingress")
    limit = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    match = re.fullmatch(r"(\d+)([km])", limit)
    assert match, limit
    size = int(match.group(1)) * {"k": 1024, "m": 1024 * 1024}[match.group(2)]
    default_max = GatewaySettings.model_fields["max_body_bytes"].default
    assert size >= default_max, "the ingress would refuse webhooks the gateway accepts (413, Meta retries)"
