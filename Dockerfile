# One image per Tasklane service, all from this file:
#
#   docker build --build-arg SERVICE=agent -t registry.example.com/tasklane/agent:0.1.0 .
#
# SERVICE is one of: gateway, agent, sender, analytics, simulator. The image installs only the
# workspace member tasklane-<SERVICE> and what it depends on (locked by uv.lock), so the agent image
# carries no sender code and vice versa. The same image runs the service (`serve`, the default)
# and its database migrations (`migrate`).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<gateway|agent|sender|analytics|simulator>" >&2; exit 1; }

# Pinned to the minor version the lock file was written with.
RUN pip install --no-cache-dir "uv>=0.13,<0.14"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /src

# Dependencies first: this layer is rebuilt only when the lock file or a manifest changes, not on
# every source edit. uv needs every workspace member's manifest to read the workspace.
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/pyproject.toml
COPY services/gateway/pyproject.toml services/gateway/pyproject.toml
COPY services/agent/pyproject.toml services/agent/pyproject.toml
COPY services/sender/pyproject.toml services/sender/pyproject.toml
COPY services/analytics/pyproject.toml services/analytics/pyproject.toml
COPY tools/simulator/pyproject.toml tools/simulator/pyproject.toml
COPY tools/stack/pyproject.toml tools/stack/pyproject.toml
RUN uv sync --frozen --no-dev --no-install-workspace --package "tasklane-${SERVICE}"

# Then the sources, installed non-editable so the runtime stage needs only the virtualenv.
COPY libs/common libs/common
COPY services/gateway services/gateway
COPY services/agent services/agent
COPY services/sender services/sender
COPY services/analytics services/analytics
COPY tools/simulator tools/simulator
COPY tools/stack tools/stack
RUN uv sync --frozen --no-dev --no-editable --package "tasklane-${SERVICE}" \
    && /app/.venv/bin/python -c "import importlib; importlib.import_module('tasklane_${SERVICE}')"

# A two-line launcher, because an exec-form ENTRYPOINT cannot expand a build argument. `exec`
# keeps Python as the process that receives SIGTERM, so uvicorn drains on shutdown.
RUN printf '#!/bin/sh\nexec python -m tasklane_%s "$@"\n' "${SERVICE}" > /app/tasklane \
    && chmod 0755 /app/tasklane

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG SERVICE
LABEL org.opencontainers.image.title="tasklane-${SERVICE}"

RUN groupadd --system --gid 10001 tasklane \
    && useradd --system --uid 10001 --gid tasklane --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin tasklane

COPY --from=builder /app /app

ENV PATH=/app/.venv/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TASKLANE_SERVICE=${SERVICE}

WORKDIR /app
# Numeric user so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001

ENTRYPOINT ["/app/tasklane"]
CMD ["serve"]
