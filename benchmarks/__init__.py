"""glyphcast's fan-out benchmark: glyphcast's codecs against the naive broadcast baseline and the ideal floor.

Run ``python -m benchmarks`` (quick) or ``python -m benchmarks --full``; see ``run.py``.
"""
