"""A plugin whose import fails: it needs a library that is not installed."""

import glyphcast_missing_dependency  # noqa: F401
