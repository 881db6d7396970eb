# syntax=docker/dockerfile:1
# One image for every DrillQuiz process: web (the default command), worker, beat, Flower and the
# migrate job differ only by the command docker-compose.yml and k8s/ give it.
# Pinned by version tag; pin the digest too (python:3.11.14-slim-bookworm@sha256:...) when you build.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# binutils for strip: the wheels' shared libraries carry symbols no process needs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*
# The base image's pip installs into the venv, so the venv itself has no pip or setuptools.
RUN python -m venv --without-pip /opt/venv
COPY requirements.txt /tmp/requirements.txt
# requirements.txt pins every package (pip freeze), so --no-deps lets nothing unpinned in.
# A build machine that needs its own pip settings or CA bundle to reach the package index passes them
# as the secrets pip.conf and ca-certificates (scripts/container-engine.sh does); no layer keeps them.
RUN --mount=type=secret,id=pip.conf,target=/etc/pip.conf \
    --mount=type=secret,id=ca-certificates \
    python -m pip --python /opt/venv/bin/python install --no-deps -r /tmp/requirements.txt \
    && find /opt/venv -depth -type d -name tests -exec rm -rf {} + \
    && find /opt/venv -name '*.so' -exec strip --strip-unneeded {} +
WORKDIR /app
COPY . .
# Static files and message catalogues are built into the image: no process writes them at run time.
# Production settings need a secret key and a real translator to load: a random key and a provider
# that needs none, which only exist during this step.
RUN DJANGO_ENV=production SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
        TRANSLATION_PROVIDER=libretranslate STATIC_ROOT=/app/staticfiles \
        /opt/venv/bin/python manage.py collectstatic --noinput --verbosity 0 \
    && /opt/venv/bin/pybabel compile --domain django --directory locale \
    && /opt/venv/bin/python -m compileall -q /app

FROM ${PYTHON_IMAGE}
# pg_dump/psql of the server's major version (Debian bookworm ships 15), zstd for the backup
# pipe, tini as PID 1 so signals reach the process and orphaned probe children are reaped.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 zstd tini \
    && rm -rf /var/lib/apt/lists/* \
    && /usr/lib/postgresql/15/bin/pg_dump --version | grep -q ' 15\.' \
    && zstd --version \
    && setpriv --version \
    && groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app \
    && install -d -o app -g app -m 0750 /backups /var/lib/flower
COPY --from=build /opt/venv /opt/venv
# Owned by root: the app user can read its code but not change it.
COPY --from=build /app /app
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_ENV=production \
    STATIC_ROOT=/app/staticfiles \
    BACKUP_DIR=/backups \
    BACKUP_PG_BIN_DIR=/usr/lib/postgresql/15/bin \
    BEAT_HEARTBEAT_FILE=/tmp/beat-heartbeat \
    UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=8000 \
    FLOWER_ADDRESS=0.0.0.0 \
    FLOWER_PORT=5555 \
    METRICS_ADDRESS=0.0.0.0 \
    METRICS_PORT=9100 \
    WEB_METRICS_PORT=9101
USER 10001:10001
EXPOSE 8000 5555 9100 9101
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["uvicorn", "drillquiz.asgi:application", "--timeout-graceful-shutdown", "20"]
# For the web process; docker-compose.yml gives the other processes their own check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/opt/venv/bin/python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('UVICORN_PORT', '8000'), timeout=4)"]
