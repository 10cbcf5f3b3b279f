# syntax=docker/dockerfile:1
# One image for the API, the workers, the scheduler and the migration Job:
#   haven serve | haven worker --queues Q | haven scheduler | haven migrate
# Runs as uid 10001 with a read-only root filesystem; HOME and all scratch files live in
# /tmp, which Kubernetes mounts as an emptyDir (see helm/haven).

# An exact Python release on an exact Debian release: rebuilding next month gives the same
# interpreter. (Pin the digest too, `python:…@sha256:…`, where your registry policy asks for it.)
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# --- build: wheels for Haven and every locked dependency ---------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
# Compilers only for dependencies without a wheel for this platform; not in the final image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The lock first: its layer (every dependency, hash-checked) is reused until the lock changes.
COPY requirements/service.lock ./requirements/service.lock
RUN python -m pip wheel --require-hashes --wheel-dir /wheels -r requirements/service.lock \
    && python -m pip install --no-index --find-links=/wheels setuptools cython
COPY pyproject.toml setup.py README.md LICENSE ./
COPY service ./service
COPY policies ./policies
COPY plugins ./plugins
RUN python -m pip wheel --no-deps --no-build-isolation --wheel-dir /wheels \
    . plugins/slack plugins/discourse plugins/reddit

# --- runtime ------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG HAVEN_UID=10001
ARG HAVEN_VERSION=0.1.0
LABEL org.opencontainers.image.title="haven" \
      org.opencontainers.image.description="Moderation as a service for online support communities" \
      org.opencontainers.image.version="${HAVEN_VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/haven \
    PATH=/opt/haven/bin:$PATH \
    HOME=/tmp \
    TMPDIR=/tmp \
    HAVEN_HOST=0.0.0.0 \
    HAVEN_PORT=8000 \
    HAVEN_WORKER_HEARTBEAT_FILE=/tmp/haven-worker.alive
RUN python -m venv "$VIRTUAL_ENV" \
    && groupadd --system --gid "$HAVEN_UID" haven \
    && useradd --system --uid "$HAVEN_UID" --gid haven --home-dir /tmp --no-create-home \
        --shell /usr/sbin/nologin haven
# Only the locked versions are in /wheels, and nothing else is reachable (--no-index).
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels haven haven-slack haven-discourse haven-reddit \
    && find "$VIRTUAL_ENV" -name '__pycache__' -prune -exec rm -rf {} +
# The default policy pack ships inside the haven wheel; a ConfigMap mounted elsewhere
# replaces it (HAVEN_POLICY_DIR).
WORKDIR /app
USER 10001:10001
EXPOSE 8000 9101
ENTRYPOINT ["haven"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
