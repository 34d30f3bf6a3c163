# The two commands of the README: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNEL := $(VENV)/.kernel-compiled

.PHONY: setup demo test lint bench clean browser

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

# The numba area kernel (zoning.polyarea) compiles once, here, not in the first analysis.
$(KERNEL): $(STAMP) zoning/polyarea.py
	$(BIN)/python -c "from zoning.polyarea import warm_up; warm_up()"
	touch $(KERNEL)

demo: setup
	$(BIN)/zoning demo --out demo-out --overwrite

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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

test: setup lint browser
	$(BIN)/python -m pytest -q
	$(BIN)/python -m pytest -q --doctest-modules zoning
	$(BIN)/python -m pytest -q --nbmake notebooks/

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache
