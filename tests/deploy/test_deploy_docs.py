"""docs/deploy.md shows the configurations the tests run, byte for byte."""

from __future__ import annotations

import pytest
from deploy_fixtures import CONFIGS, DOC

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("config", sorted(set(CONFIGS.values())), ids=lambda p: p.name)
def test_doc_shows_the_tested_config_verbatim(config) -> None:
    doc = DOC.read_text(encoding="utf-8")
    text = config.read_text(encoding="utf-8")
    assert f"\n{text}```" in doc, (
        f"docs/deploy.md must show tests/deploy/{config.name} verbatim in a code block"
    )
    assert f"tests/deploy/{config.name}" in doc, f"docs/deploy.md must say where {config.name} lives"
