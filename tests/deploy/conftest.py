"""This directory's fixtures live in ``deploy_fixtures``, a module with a name of its own, so that its
tests can import its helpers (``from deploy_fixtures import ...``) in a run that collects several
directories: every directory's conftest is a module named ``conftest``."""

from deploy_fixtures import *  # noqa: F403  (the fixtures, found here by pytest)
