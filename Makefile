# The README's two commands. Everything is created here from the project's own
# files: a fresh machine needs only Python 3.11+ and make (plus Node/npm for the viewer).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8765

.PHONY: demo test clean

$(BIN)/tox:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "tox>=4.11" "tox-uv>=1.11"

test: $(BIN)/tox
	$(BIN)/tox run

clean:
	rm -rf $(VENV) .tox
