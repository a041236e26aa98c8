# The two commands: `make run` (the whole site) and `make test` (the whole suite).
PYTHON ?= python3
PYTEST_ARGS ?=

.PHONY: run test install lint format bench clean

run:  ## web (daphne), Celery worker and beat on http://127.0.0.1:8000
	$(PYTHON) bootstrap.py run

test:  ## the whole test suite (DATABASE_URL / REDIS_URL if set, else SQLite + embedded Redis)
	$(PYTHON) bootstrap.py test $(PYTEST_ARGS)

install:
	$(PYTHON) bootstrap.py install

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
	.venv/bin/python tools/import_cycles.py  # circles inside one app too
	DJANGO_DEBUG=true .venv/bin/mypy  # django-stubs loads the settings: DEBUG needs no secret

format: install
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

clean:
	rm -rf var .pytest_cache .ruff_cache
