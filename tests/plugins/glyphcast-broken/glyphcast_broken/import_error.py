"""A plugin whose import fails: it needs a library that is not installed."""

import glyphcast_missing_dependency  # type: ignore[import-not-found]  # noqa: F401  (missing on purpose)
