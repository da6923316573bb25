"""mypy over the tests, one test directory at a time, with tests/mypy.ini (tox -e type runs it).

One run per directory because the tests are laid out for pytest, not for one mypy run: every
directory has a ``conftest.py`` (several modules named ``conftest``), and each imports its own
helper modules by bare name (pytest puts the directory on ``sys.path``; mypy, given a
directory, puts it on its search path too). Exits non-zero if any directory has errors.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def main() -> int:
    directories = sorted(
        path for path in TESTS.iterdir() if path.is_dir() and not path.name.startswith((".", "_"))
    )
    failed = []
    for directory in directories:
        print(f"mypy {directory.relative_to(TESTS.parent)}", flush=True)
        command = [sys.executable, "-m", "mypy", "--config-file", str(TESTS / "mypy.ini"), str(directory)]
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(directory.name)
    if failed:
        print(f"mypy found errors in tests/: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
