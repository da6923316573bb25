import sys

if "--emulator" in sys.argv[1:]:
    # The emulator benchmark needs none of the fan-out benchmark's tools (websockets, psutil, ...).
    from benchmarks.emulator import main as emulator

    raise SystemExit(emulator([arg for arg in sys.argv[1:] if arg != "--emulator"]))

from benchmarks.run import main

raise SystemExit(main())
