"""An example third-party glyphcast plugin (installed as a real distribution by the tests)."""
