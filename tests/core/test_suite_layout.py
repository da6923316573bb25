"""The whole suite runs as one `pytest` from the repository root (make dev), as well as per tox env."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_name() -> None:
    """pytest imports a test directory without __init__.py by the module's bare name, so
    tests/a/test_x.py and tests/b/test_x.py cannot be collected in one run; nor can two
    helper modules of one name, nor a test importing ``conftest`` (every directory has one)."""
    places: dict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("*.py"):
        if path.name in ("conftest.py", "__init__.py") or (path.parent / "__init__.py").exists():
            continue  # conftests are pytest's own business; a package's modules have their own names
        if "plugins" in path.relative_to(TESTS).parts[:1] or "artifacts" in path.parts:
            continue  # example plugins installed by the tests, not collected
        places[path.stem].append(str(path.relative_to(TESTS)))
    assert {name: where for name, where in places.items() if len(where) > 1} == {}


def test_no_test_imports_a_conftest_by_name() -> None:
    offenders = [
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("*.py")
        if path != Path(__file__).resolve()
        and ("from conftest import" in path.read_text() or "import conftest" in path.read_text())
    ]
    assert offenders == [], "import helpers from the directory's *_fixtures module instead"
