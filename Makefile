# Colloquy: `make run` serves the blog on http://127.0.0.1:5000, `make test` runs every test.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install federation-peers db run serve setup-token worker test lint format bench screenshots clean

# Dependencies only (read from pyproject.toml): the app runs from this folder, nothing is built.
$(STAMP): pyproject.toml scripts/dependencies.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/python scripts/dependencies.py dev > $(VENV)/requirements.txt
	$(BIN)/pip install --quiet -r $(VENV)/requirements.txt
	$(BIN)/python scripts/dependencies.py --link
	touch $(STAMP)

install: $(STAMP)

# The federation tests' fediverse peers (the tests make them too when missing): Fedify from its
# lock file, and bovine-herd in its own virtualenv, .venv-bovine, where the tests look for it
# (its pinned dependencies would clash with ours).
# The fediverse peers the federation tests talk to: bovine-herd in its own virtualenv, and
# Fedify with Node.js (CI installs Node; without npm here its tests skip, and fail in CI).
FEDIFY_STAMP := tests/federation_peer/node_modules/.installed-stamp

federation-peers:
	$(PYTHON) tests/federation_peer_bovine/install.py .venv-bovine
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(FEDIFY_STAMP); \
	else echo "npm not found: the Fedify peer tests will be skipped (install Node.js to run them)"; fi

$(FEDIFY_STAMP): tests/federation_peer/package-lock.json
	cd tests/federation_peer && npm ci --no-audit --no-fund --silent
	touch $@

# Local use answers on loopback only; production sets FLASK_TRUSTED_HOSTS or FLASK_SITE_URL.
LOCAL_HOSTS ?= 127.0.0.1,localhost

db: install
	FLASK_TRUSTED_HOSTS=$${FLASK_TRUSTED_HOSTS:-$(LOCAL_HOSTS)} $(BIN)/flask --app app db upgrade

# The web server and the import worker together; Ctrl+C stops both.
# Plain HTTP on loopback for local use, so cookies may not insist on HTTPS here.
run: db
	FLASK_SESSION_COOKIE_SECURE=false FLASK_REMEMBER_COOKIE_SECURE=false \
		FLASK_TRUSTED_HOSTS=$${FLASK_TRUSTED_HOSTS:-$(LOCAL_HOSTS)} \
		$(BIN)/python scripts/run.py dev

# Production-style: gunicorn with deploy/gunicorn.conf.py, and the import worker.
serve: db
	FLASK_TRUSTED_HOSTS=$${FLASK_TRUSTED_HOSTS:-$(LOCAL_HOSTS)} \
		$(BIN)/python scripts/run.py serve

# A new first-run setup token (until the first account exists).
setup-token: db
	@$(BIN)/flask --app app setup-token

# The import worker alone (when the web server runs elsewhere).
worker: db
	$(BIN)/flask --app app worker

test: install federation-peers
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
	rm -rf $(VENV) .venv-bovine .pytest_cache .ruff_cache
