# The README's two commands, `make demo` and `make test`. Everything is created here
# from the project's own files: a fresh machine needs Python 3.11+, make, and
# Node.js/npm for the viewer.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8765
PLUGINS := websocket json binary diff record redis asciinema pty
EDITABLES := -e . $(foreach p,$(PLUGINS),-e plugins/glyphcast-$(p))
VIEWER := plugins/glyphcast-websocket/glyphcast_websocket/viewer/index.html

.PHONY: demo test bench bench-full bench-emulator bench-share viewer wheels dev clean

# Tools: tox with the uv backend (tox-uv also brings the uv binary used below).
$(BIN)/tox:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "tox>=4.11" "tox-uv>=1.11"

# Every glyphcast package, editable, in .venv: what demo and bench run on.
$(VENV)/.installed: $(BIN)/tox pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(BIN)/uv pip install --quiet --python $(BIN)/python $(EDITABLES)
	touch $@

# What a contributor works in: every package, the test tools and the built viewer, so that
# `.venv/bin/pytest` from the repository root runs the whole suite (browser and deploy tests
# skip with a reason where Chromium, nginx or Caddy are missing).
$(VENV)/.dev: $(VENV)/.installed tests/requirements.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r tests/requirements.txt
	touch $@

dev: $(VENV)/.dev $(VIEWER)

# The browser viewer, bundled into the hub's packaged assets. (npm runs inside
# client/: --prefix would also move npm's global config, CA settings included.)
$(VIEWER): client/package.json client/package-lock.json client/build.mjs $(wildcard client/src/*)
	cd client && npm ci --no-audit --no-fund && npm run build

viewer: $(VIEWER)

# A wheel and an sdist of every distribution into dist/ (the websocket ones carry the
# viewer, so it is built first); then: pip install --find-links dist "glyphcast[all]"
wheels: $(BIN)/tox $(VIEWER)
	$(foreach p,. $(addprefix plugins/glyphcast-,$(PLUGINS)),$(BIN)/uv build --quiet --out-dir dist $(p) &&) true

# Ctrl-C and SIGTERM end the demo as a normal stop, not a failure: glyphcast exits
# 130/143 on them, which make would report as "make: *** [demo] Error 143". The
# shell runs it in the background and forwards INT/TERM to it as TERM (a
# background job ignores SIGINT), so a signal to make alone stops it as well; 130
# and 143 then count as success. Make still ends by the signal it got, quietly.
# GLYPHCAST and DEMO_DEPS let tests/all/test_make_demo.py run this very recipe
# without a .venv or a built viewer. The first line says where the command is:
# .venv/bin is not on anyone's PATH, and every other command in the docs needs it.
GLYPHCAST ?= $(BIN)/glyphcast
DEMO_DEPS ?= $(VENV)/.installed $(VIEWER)
demo: $(DEMO_DEPS)
	@echo "glyphcast: the command is $(GLYPHCAST); to type just glyphcast, run . $(BIN)/activate in your shell (another port: make demo PORT=N)" >&2
	@$(GLYPHCAST) run --source demo --port $(PORT) --fps 30 & pid=$$!; \
	trap 'kill -TERM $$pid 2>/dev/null' INT TERM; \
	wait $$pid; status=$$?; \
	while kill -0 $$pid 2>/dev/null; do wait $$pid; status=$$?; done; \
	case $$status in 0|130|143) exit 0;; *) exit $$status;; esac

test: $(BIN)/tox
	$(BIN)/tox run

# The benchmark's own tools (psutil, py-spy, uvloop) stay out of the demo's setup.
$(VENV)/.bench: $(VENV)/.installed benchmarks/requirements.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r benchmarks/requirements.txt
	touch $@

bench: $(VENV)/.bench
	$(BIN)/python -m benchmarks

bench-full: $(VENV)/.bench
	$(BIN)/python -m benchmarks --full

# Terminal emulator throughput, pyte vs avt (about a minute; not part of `make bench`).
bench-emulator: $(VENV)/.bench
	$(BIN)/python -m benchmarks --emulator

# glyphcast share: keystroke-to-viewer latency with 100 viewers, and the CPU an idle shared program costs.
bench-share: $(VENV)/.bench
	$(BIN)/python -m benchmarks --share

clean:
	rm -rf $(VENV) .tox client/node_modules dist
