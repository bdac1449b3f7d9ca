"""Dockerfile and .dockerignore: every image gets the packages it needs and runs unprivileged."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# SERVICE build-arg value -> workspace member directory.
DEPLOYABLE = {
    "gateway": "services/gateway",
    "agent": "services/agent",
    "sender": "services/sender",
    "analytics": "services/analytics",
    "simulator": "tools/simulator",
}


def instructions(dockerfile: str, keyword: str) -> list[str]:
    return [
        line.split(None, 1)[1]
        for line in dockerfile.splitlines()
        if line.strip() and not line.startswith("#") and line.split(None, 1)[0].upper() == keyword
    ]


def copy_sources(dockerfile: str) -> set[str]:
    sources = set()
    for args in instructions(dockerfile, "COPY"):
        parts = [p for p in args.split() if not p.startswith("--")]
        if not args.startswith("--from"):
            sources.update(parts[:-1])
    return sources


def stages(dockerfile: str) -> list[str]:
    return re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[1:]


def workspace_members() -> list[str]:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members: list[str] = []
    for pattern in root["tool"]["uv"]["workspace"]["members"]:
        members += sorted(str(p.parent.relative_to(ROOT)) for p in ROOT.glob(f"{pattern}/pyproject.toml"))
    return members


def member_dependencies(member: str) -> set[str]:
    """Workspace members ``member`` needs at run time, itself included."""
    by_name = {
        tomllib.loads((ROOT / m / "pyproject.toml").read_text())["project"]["name"]: m
        for m in workspace_members()
    }
    needed, todo = set(), [member]
    while todo:
        current = todo.pop()
        needed.add(current)
        project = tomllib.loads((ROOT / current / "pyproject.toml").read_text())["project"]
        for dep in project.get("dependencies", []):
            name = re.split(r"[<>=!~\[; ]", dep, maxsplit=1)[0]
            if name in by_name and by_name[name] not in needed:
                todo.append(by_name[name])
    return needed


def test_every_workspace_manifest_and_the_lock_are_copied(dockerfile: str) -> None:
    # uv reads the whole workspace to honour uv.lock, even when it installs one member.
    sources = copy_sources(dockerfile)
    assert {"pyproject.toml", "uv.lock"} <= sources
    for member in workspace_members():
        assert f"{member}/pyproject.toml" in sources, member


@pytest.mark.parametrize("service", DEPLOYABLE)
def test_each_image_gets_the_sources_of_everything_its_service_imports(dockerfile: str, service: str) -> None:
    member = DEPLOYABLE[service]
    project = tomllib.loads((ROOT / member / "pyproject.toml").read_text())
    assert project["project"]["name"] == f"tasklane-{service}"
    # The wheel must contain the module that `python -m tasklane_<service>` runs.
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [f"src/tasklane_{service}"]
    assert (ROOT / member / "src" / f"tasklane_{service}").is_dir()
    sources = copy_sources(dockerfile)
    for needed in member_dependencies(member):
        assert needed in sources, f"{service} image lacks {needed}"


def test_one_locked_production_install_of_the_selected_service(dockerfile: str) -> None:
    syncs = [r for r in instructions(dockerfile, "RUN") if "uv sync" in r]
    assert syncs
    for command in syncs:
        assert "--frozen" in command, "the image must install exactly what uv.lock pins"
        assert "--no-dev" in command, "no test tooling in production images"
        assert '--package "tasklane-${SERVICE}"' in command
    assert "--no-editable" in syncs[-1], "the runtime stage copies the venv, not the sources"
    assert any("pip install" in r and "uv" in r for r in instructions(dockerfile, "RUN"))


def test_build_fails_without_a_service_arg(dockerfile: str) -> None:
    builder = stages(dockerfile)[0]
    assert "ARG SERVICE" in builder
    assert 'test -n "${SERVICE}"' in builder


def test_runtime_stage_is_non_root_and_carries_only_the_virtualenv(dockerfile: str) -> None:
    runtime = stages(dockerfile)[-1]
    user = re.findall(r"^USER (\S+)", runtime, flags=re.MULTILINE)
    assert user, "the final stage must switch user"
    uid = user[-1].split(":")[0]
    # Numeric, so Kubernetes can check runAsNonRoot; matches the manifests' runAsUser.
    assert uid == "10001"
    copies = instructions(runtime, "COPY")
    assert copies
    assert all(c.startswith("--from=builder") for c in copies)
    assert "tasklane_%s" in stages(dockerfile)[0], "the launcher runs the selected service module"
    assert re.search(r'^ENTRYPOINT \["/app/tasklane"\]', runtime, flags=re.MULTILINE)
    assert re.search(r'^CMD \["serve"\]', runtime, flags=re.MULTILINE)


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified to what .dockerignore uses: a path or any parent matching."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            if fnmatch.fnmatch(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatch(prefix.rsplit("/", 1)[-1], bare)
            ):
                return True
    return False


def test_dockerignore_keeps_what_the_build_copies(dockerfile: str) -> None:
    patterns = dockerignore_patterns()
    for source in copy_sources(dockerfile):
        assert not ignored(source, patterns), f"{source} is copied but ignored"
    for member in DEPLOYABLE.values():
        module = next((ROOT / member / "src").glob("tasklane_*"))
        assert not ignored(str(module.relative_to(ROOT)) + "/__main__.py", patterns)


def test_dockerignore_drops_local_state_and_tests() -> None:
    patterns = dockerignore_patterns()
    for path in [".venv", ".git", "services/agent/tests", "libs/common/src/x/__pycache__", ".env", "docs"]:
        assert ignored(path, patterns), path
