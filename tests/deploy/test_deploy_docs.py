"""docs/deploy.md documents every variable and secret key the deployment files set."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import AliasChoices, BaseModel
from pydantic_settings import BaseSettings

from tasklane_agent.settings import AgentSettings
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_gateway.settings import GatewaySettings
from tasklane_sender.settings import SenderSettings
from tasklane_simulator.settings import SimulatorSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICE_PREFIX = re.compile(r"^TASKLANE_(GATEWAY|AGENT|SENDER|ANALYTICS)_")


def documented(name: str, doc: str) -> bool:
    generic = SERVICE_PREFIX.sub("TASKLANE_<SVC>_", name)
    return f"`{name}`" in doc or f"`{generic}`" in doc


def doc_text() -> str:
    return (ROOT / "docs" / "deploy.md").read_text()


def test_every_variable_set_by_compose_is_documented(compose: dict[str, Any]) -> None:
    doc = doc_text()
    names = {n for s in compose["services"].values() for n in s.get("environment", {})}
    names = {n for n in names if not n.startswith(("RABBITMQ_DEFAULT_", "POSTGRES_"))}
    # Variables read from the operator's shell when compose interpolates the file.
    raw = (ROOT / "docker-compose.yml").read_text()
    names |= set(re.findall(r"\$\{(\w+):-", raw))
    missing = sorted(n for n in names if not documented(n, doc))
    assert not missing, missing


def test_every_variable_set_by_kubernetes_is_documented(k8s: Any) -> None:
    doc = doc_text()
    names = set()
    for dep in k8s.of_kind("Deployment"):
        spec = dep["spec"]["template"]["spec"]
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            names |= {e["name"] for e in container.get("env", [])}
    missing = sorted(n for n in names if not documented(n, doc))
    assert not missing, missing


def test_every_secret_key_is_documented(k8s: Any) -> None:
    doc = doc_text()
    (secret,) = k8s.of_kind("Secret")
    missing = sorted(k for k in secret["stringData"] if f"`{k}`" not in doc)
    assert not missing, missing


def test_documented_paths_exist() -> None:
    for path in re.findall(r"(deploy/[\w./-]+\.yaml)", doc_text()):
        assert (ROOT / path).is_file(), path
    for folder in re.findall(r"apply -k ([\w/.-]+)", doc_text()):
        assert (ROOT / folder / "kustomization.yaml").is_file(), folder


def env_names(cls: type[BaseSettings]) -> set[str]:
    """Every environment variable a settings class reads (nested blocks joined with ``__``)."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field_name, info in cls.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {str(choice) for choice in alias.choices}
            continue
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= {f"{prefix}{field_name}__{sub}".upper() for sub in annotation.model_fields}
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


@pytest.mark.parametrize(
    "settings_cls",
    [GatewaySettings, AgentSettings, SenderSettings, AnalyticsSettings, SimulatorSettings],
    ids=lambda c: c.__name__,
)
def test_every_setting_a_service_reads_is_documented(settings_cls: type[BaseSettings]) -> None:
    doc = doc_text()
    missing = sorted(n for n in env_names(settings_cls) if not documented(n, doc))
    assert not missing, f"add to the environment reference of docs/deploy.md: {missing}"
