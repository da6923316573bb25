"""``python -m glyphcast``: the same as the ``glyphcast`` command."""

from glyphcast.cli import main

raise SystemExit(main())
