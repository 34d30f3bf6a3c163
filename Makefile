# The two commands of the README: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNEL := $(VENV)/.kernel-compiled

.PHONY: setup demo test lint bench clean browser postgis postgis-stop

ASSETS := zoning/_assets/manifest.json

setup: $(STAMP) $(ASSETS) $(KERNEL)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Leaflet and its plugins, from the npm registry at set-up time, so maps open with no network.
$(ASSETS): $(STAMP) zoning/maps/assets.py
	$(BIN)/python scripts/fetch_map_assets.py

# The numba kernels (zoning.polyarea; the dissolve's envelope join and proof of disjoint pairs;
# the measure's shoelace areas; the nearby-zone runs) compile once, here, not in the first
# analysis.
$(KERNEL): $(STAMP) zoning/polyarea.py zoning/stats/interiors_apart.py zoning/stats/cell_pairs.py \
		zoning/stats/ring_area.py zoning/screening/nearkernel.py
	$(BIN)/python -c "from zoning.polyarea import warm_up; warm_up(validation=True)"
	$(BIN)/python -c "from zoning.stats.interiors_apart import warm_up; warm_up()"
	$(BIN)/python -c "from zoning.stats.ring_area import warm_up; warm_up()"
	$(BIN)/python -c "from zoning.screening.nearby import warm_up; warm_up()"
	touch $(KERNEL)

demo: setup
	$(BIN)/zoning demo --out demo-out --overwrite

# ruff (with numpydoc docstring rules) and mypy over zoning/ (pyproject.toml holds both configs)
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

# Headless Chromium for the real-browser map tests, and a CJK font so that screenshots and PDFs
# of the bilingual reports show Chinese (Debian packages; needs root, as on CI).
browser:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	fc-list 2>/dev/null | grep -qi "WenQuanYi\|Noto Sans CJK" || missing="$$missing fonts-wqy-microhei"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $$missing >/dev/null; \
	else echo "missing:$$missing (not root): browser tests skip, reports lack a CJK font"; fi

# A local PostgreSQL + PostGIS on 127.0.0.1 for the database tests (Debian packages installed
# when missing; data in .postgis/, ignored by git); the last line printed is its URL.
postgis:
	@scripts/postgis.sh start

postgis-stop:
	@scripts/postgis.sh stop

# The database tests run against the real server, started here and stopped after (even when a
# test fails); without root to install PostgreSQL they skip, saying so.
test: setup lint browser
	@scripts/postgis.sh start || echo "no PostGIS server: the database tests skip"
	status=0; $(BIN)/python -m pytest -q || status=$$?; scripts/postgis.sh stop; exit $$status
	$(BIN)/python -m pytest -q --doctest-modules zoning
	$(BIN)/python -m pytest -q --nbmake notebooks/

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache
