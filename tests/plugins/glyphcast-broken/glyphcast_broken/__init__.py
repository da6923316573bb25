"""Deliberately broken glyphcast plugins, for glyphcast's tests."""
