import sys

if "--emulator" in sys.argv[1:]:
    # The emulator benchmark needs none of the fan-out benchmark's tools (websockets, psutil, ...).
    from benchmarks.emulator import main as emulator

    raise SystemExit(emulator([arg for arg in sys.argv[1:] if arg != "--emulator"]))

if "--share" in sys.argv[1:]:
    # glyphcast share: keystroke-to-viewer latency and the idle cost (needs glyphcast-pty installed).
    from benchmarks.share import main as share

    raise SystemExit(share([arg for arg in sys.argv[1:] if arg != "--share"]))

from benchmarks.run import main

raise SystemExit(main())
