"""Loaders for the deployment artefacts; the tests only read files (no Docker, no cluster)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"


@dataclass
class K8sSet:
    """Every object under deploy/k8s, with the file it came from."""

    objects: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)

    def of_kind(self, kind: str, folder: str | None = None) -> list[dict[str, Any]]:
        return [
            o for p, o in self.objects if o["kind"] == kind and (folder is None or p.parent.name == folder)
        ]

    def one(self, kind: str, name: str, folder: str | None = None) -> dict[str, Any]:
        found = [o for o in self.of_kind(kind, folder) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name!r}, found {len(found)}"
        return found[0]


def load_yaml_docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def k8s() -> K8sSet:
    result = K8sSet()
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in load_yaml_docs(path):
            result.objects.append((path, doc))
    return result


@pytest.fixture(scope="session")
def dockerfile() -> str:
    text = (ROOT / "Dockerfile").read_text()
    # Join continuation lines so that each instruction is one line.
    return re.sub(r"\\\n\s*", " ", text)
