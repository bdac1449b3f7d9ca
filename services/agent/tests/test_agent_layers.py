"""The agent's packages import only what docs/agent.md's layout table allows: the domain nothing
of the agent, understanding and storage only the domain, the workspace no parser."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tasklane_agent"
ALLOWED = {
    "domain": {"domain"},
    "nlu": {"domain", "nlu"},
    "storage": {"domain", "storage"},
    "workspace": {"domain", "storage", "workspace"},
    "reminders": {"domain", "storage", "reminders", "i18n", "metrics", "settings"},
}


def _imports(path: Path) -> set[str]:
    """The agent's top-level packages ``path`` imports (at any depth: lazy imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "tasklane_agent" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = {
        str(path.relative_to(PACKAGE)): sorted(_imports(path) - ALLOWED[package])
        for path in sorted((PACKAGE / package).rglob("*.py"))
        if _imports(path) - ALLOWED[package]
    }
    assert wrong == {}
