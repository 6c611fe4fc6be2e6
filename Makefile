# Targets are what README.md says. The venv is made on first use.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

VENDOR = app/static/vendor
DSFR = node_modules/@gouvfr/dsfr/dist
LEAFLET = node_modules/leaflet/dist
MARKERCLUSTER = node_modules/leaflet.markercluster/dist

.PHONY: install assets demo serve test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

## Front-end assets (DSFR, Leaflet, Leaflet.markercluster) from the npm registry, served by
## Flask: no CDN.
## The DSFR's own install script wants a project scaffold we do not use: --ignore-scripts.
## npm ci also installs the devDependency axe-core, which the accessibility test reads from
## node_modules: it is not copied to the vendored assets (the site never serves it).
$(VENDOR)/.built: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --silent
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/dsfr $(VENDOR)/leaflet $(VENDOR)/leaflet.markercluster
	cp -r $(DSFR)/dsfr.min.css $(DSFR)/dsfr.module.min.js $(DSFR)/dsfr.nomodule.min.js \
		$(DSFR)/fonts $(DSFR)/icons $(DSFR)/favicon $(VENDOR)/dsfr/
	# Only the icon sets the pages use (arrows, system): the whole set is 356 kB.
	for set in arrows system; do \
		mkdir -p $(VENDOR)/dsfr/utility/icons/icons-$$set && \
		cp $(DSFR)/utility/icons/icons-$$set/icons-$$set.min.css $(VENDOR)/dsfr/utility/icons/icons-$$set/; \
	done
	cp -r $(LEAFLET)/leaflet.css $(LEAFLET)/leaflet.js $(LEAFLET)/images $(VENDOR)/leaflet/
	cp $(MARKERCLUSTER)/leaflet.markercluster.js $(MARKERCLUSTER)/MarkerCluster.css \
		$(MARKERCLUSTER)/MarkerCluster.Default.css $(VENDOR)/leaflet.markercluster/
	# Each package's licence travels with the files the site serves.
	cp node_modules/@gouvfr/dsfr/LICENSE.md $(VENDOR)/dsfr/
	cp node_modules/leaflet/LICENSE $(VENDOR)/leaflet/
	cp node_modules/leaflet.markercluster/MIT-LICENCE.txt $(VENDOR)/leaflet.markercluster/
	touch $@

assets: $(VENDOR)/.built

install: $(BIN)/.installed $(VENDOR)/.built

## Load the real demo data into the embedded default, then serve on http://127.0.0.1:5000
demo: install
	$(BIN)/fabriques load demo
	$(BIN)/fabriques run --host $(HOST) --port $(PORT)

## Production-style server (gunicorn) with the same settings
serve: install
	$(BIN)/gunicorn --config python:app.gunicorn_conf --bind $(HOST):$(PORT) --workers 2 "app:create_app()"

## The whole test suite (PostGIS tests need PostgreSQL on 127.0.0.1:5432, see README)
test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -n auto --maxprocesses 4 --dist loadscope

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules $(VENDOR)
