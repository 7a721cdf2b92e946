# Colloquy: `make run` serves the blog on http://127.0.0.1:5000, `make test` runs every test.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install db run serve test lint format bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Local use answers on loopback only; production sets FLASK_TRUSTED_HOSTS or FLASK_SITE_URL.
LOCAL_HOSTS ?= 127.0.0.1,localhost

db: install
	FLASK_TRUSTED_HOSTS=$${FLASK_TRUSTED_HOSTS:-$(LOCAL_HOSTS)} $(BIN)/flask --app app db upgrade

# Plain HTTP on loopback for local use, so cookies may not insist on HTTPS here.
run: db
	FLASK_SESSION_COOKIE_SECURE=false FLASK_REMEMBER_COOKIE_SECURE=false \
		FLASK_TRUSTED_HOSTS=$(LOCAL_HOSTS) \
		$(BIN)/flask --app app run --host 127.0.0.1 --port 5000

# Production-style: gunicorn with the configuration in deploy/gunicorn.conf.py.
serve: db
	FLASK_TRUSTED_HOSTS=$${FLASK_TRUSTED_HOSTS:-$(LOCAL_HOSTS)} \
		$(BIN)/gunicorn -c deploy/gunicorn.conf.py app:app

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/run_all.py

screenshots: install
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
