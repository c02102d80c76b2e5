# Daiban: every target makes its own virtualenv, so a fresh clone needs only Python and make.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB_URL ?= sqlite:///$(CURDIR)/instance/daiban.sqlite3
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
SEED ?= 7
HOST ?= 127.0.0.1
PORT ?= 5000
# One gunicorn process for the demo: its rate limits count in memory, which processes do not share.
WORKERS ?= 1
DEMO_DATE ?= $(shell $(PY) -c "import datetime,zoneinfo;print(datetime.datetime.now(zoneinfo.ZoneInfo('Asia/Shanghai')).date())")

.PHONY: install run test test-sqlite test-postgres lint demo bench clean browser-deps vendor \
	load-quick load translations

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

browser-deps:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q . && \
	  command -v pdftoppm >/dev/null 2>&1 && [ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; } || { \
	  echo "installing Debian chromium, CJK fonts and poppler-utils for the browser and form tests"; \
	  (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk fonts-wqy-zenhei poppler-utils >/dev/null) || \
	  { echo "could not install chromium (needs root and Debian's packages)"; exit 1; }; }

# Refresh the vendored browser libraries (signature_pad, idb, echarts) from dispatch/web's lockfile.
vendor:
	npm ci --prefix dispatch/web
	cp dispatch/web/node_modules/signature_pad/dist/signature_pad.umd.min.js dispatch/web/static/vendor/
	cp dispatch/web/node_modules/idb/build/umd.js dispatch/web/static/vendor/idb.umd.js
	cp dispatch/web/node_modules/echarts/dist/echarts.min.js dispatch/web/static/vendor/
	cp dispatch/web/node_modules/gcoord/dist/gcoord.global.prod.js dispatch/web/static/vendor/

# Extract the page strings (templates, and the scripts' t("...") / N_("...")), merge them into
# both catalogues, compile. New msgids then need their Chinese in translations/zh.
translations: install
	$(BIN)/pybabel extract -F dispatch/web/babel.cfg -k t -k N_ --project daiban --no-location \
	  --sort-output -o dispatch/translations/messages.pot dispatch/web
	$(BIN)/pybabel update -i dispatch/translations/messages.pot -d dispatch/translations \
	  --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d dispatch/translations

run: install
	mkdir -p instance
	DATABASE_URL=$(DB_URL) $(BIN)/daiban demo-setup --seed $(SEED) --date $(DEMO_DATE)
	DATABASE_URL=$(DB_URL) $(BIN)/daiban serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

test: install browser-deps test-sqlite test-postgres

test-sqlite: install
	$(BIN)/pytest -q -p no:cacheprovider --db sqlite tests

test-postgres: install
	$(BIN)/pytest -q -p no:cacheprovider --db postgres --pg-url $(PG_TEST_URL) -m "not browser" tests/dispatch tests/notifications

lint: install
	$(BIN)/ruff check dispatch routing notifications tests benchmarks
	$(BIN)/ruff format --check dispatch routing notifications tests benchmarks
	$(BIN)/mypy

demo: install
	rm -rf instance/demo && mkdir -p instance/demo
	DATABASE_URL=sqlite:///$(CURDIR)/instance/demo/daiban.sqlite3 $(BIN)/daiban demo --seed $(SEED) --date $(DEMO_DATE) --report instance/demo/report.html

bench: install
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python benchmarks/routing_quality.py
	$(BIN)/python benchmarks/township_days.py
	$(BIN)/python benchmarks/planning.py

# The load test (benchmarks/load/README.md): gunicorn, 2 Celery workers and beat on a fresh
# PostgreSQL database (load_run) and Redis dbs 10-11, ports 5161-5169, driven by Locust.
LOAD_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/load_run

load-quick: install
	$(BIN)/pip install -q -e '.[dev,load]'
	nice $(BIN)/python -m benchmarks.load.run --quick --pg-url $(LOAD_PG_URL)

load: install
	$(BIN)/pip install -q -e '.[dev,load]'
	nice $(BIN)/python -m benchmarks.load.run --pg-url $(LOAD_PG_URL)

clean:
	rm -rf $(VENV) instance *.egg-info
