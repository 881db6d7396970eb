# The two commands: `make run` (site, worker, beat, Flower on embedded defaults) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(abspath $(VENV))/bin
MANAGE := $(BIN)/python manage.py

# The test suite runs against this machine's real services (scripts/ensure-services.sh starts them).
TEST_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/drillquiz \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
	CACHE_URL=redis://127.0.0.1:6379/1 \
	RABBITMQ_TEST_URL=amqp://guest:guest@127.0.0.1:5672//

# `make image-test` (image_tests/): the image built and each process started from it, on a database and
# Redis databases of its own.
IMAGE_TEST_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/drillquiz_image \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/4 \
	CACHE_URL=redis://127.0.0.1:6379/7

.PHONY: run test test-fast image-test lint format bench clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(MANAGE) prepare_local_broker
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(BIN)/pybabel compile --domain django --directory locale
	$(MANAGE) setup_periodic_tasks
	$(MANAGE) load_demo
	$(MANAGE) create_local_admin
	$(MANAGE) create_local_flower_login
	@echo "Site:   http://127.0.0.1:8000/"
	@echo "Admin:  http://127.0.0.1:8000/admin/"
	@echo "Flower: http://127.0.0.1:5555/ (user admin; its password is in var/flowerconfig.py)"
	@echo "Metrics: http://127.0.0.1:9101/metrics (web), http://127.0.0.1:9100/metrics (exporter)"
	WEB_METRICS_PORT=$${WEB_METRICS_PORT:-9101} PATH="$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: $(VENV)/.dev
	scripts/ensure-services.sh
	scripts/ensure-browser.sh
	command -v msgmerge >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -qq gettext  # makemessages, in the catalogue test
	scripts/ensure-prometheus.sh
	$(MAKE) lint
	DATABASE_URL=sqlite://:memory: $(MANAGE) makemigrations --check --dry-run
	$(TEST_ENV) $(MANAGE) collectstatic --noinput --verbosity 0
	$(BIN)/pybabel compile --domain django --directory locale --statistics
	$(TEST_ENV) $(BIN)/pytest $(ARGS)

# The unit tier alone, on the embedded defaults (no server needed), for the edit-run loop.
test-fast: $(VENV)/.dev
	$(BIN)/pybabel compile --domain django --directory locale
	DATABASE_URL=sqlite://:memory: CACHE_URL=locmemcache:// CELERY_BROKER_URL=memory:// \
		RABBITMQ_TEST_URL=amqp://guest:guest@127.0.0.1:5672// $(BIN)/pytest -m unit $(ARGS)

# The Dockerfile built (Docker, or podman where no Docker engine answers: scripts/container-engine.sh)
# and migrate, web, worker, beat, Flower and the exporter started from it; not part of `make test`.
# A .venv older than the requirements (a clone beside a linked one) is used as it is.
image-test:
	test -x $(BIN)/pytest || $(MAKE) $(VENV)/.dev
	scripts/ensure-services.sh
	$(IMAGE_TEST_ENV) $(BIN)/pytest image_tests $(ARGS)

# Benchmarks: not part of `make test`; figures go to BENCHMARKS.md with the command and date.
bench: $(VENV)/.dev
	scripts/ensure-services.sh
	command -v wrk >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -qq wrk
	$(BIN)/python bench/pages.py --env DATABASE_POOL=off --env PAGE_BLOCKS_CACHE_SECONDS=0
	$(BIN)/python bench/auth.py --rounds 50
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/translate_on_view.py --rounds 100
	$(BIN)/python bench/optimizer.py
	$(BIN)/python bench/backups.py --size-mb 1024 --rounds 3
	$(BIN)/python bench/jobs_latency.py
	$(BIN)/python bench/streams.py
	$(BIN)/python bench/soak.py --minutes 10 --fault-every 120

clean:
	rm -rf $(VENV) var
