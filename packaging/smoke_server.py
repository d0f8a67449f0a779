"""A throwaway MariaDB for packaging/smoke-linux.sh: prechecks.demo's DemoServer, its address and
password written to a 0600 option file (so no password is passed on a command line), stopped and
removed on SIGTERM or SIGINT.

    python packaging/smoke_server.py OPTION_FILE      # writes OPTION_FILE once the server answers
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prechecks.demo import DemoServer, DemoUnavailable


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    option_file = Path(argv[0])
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = DemoServer()
    try:
        server.start()
    except DemoUnavailable as exc:
        print(f"smoke_server: {exc}", file=sys.stderr)
        return 1
    try:
        partial = option_file.with_suffix(".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"[client]\nhost={server.host}\nport={server.port}\nuser={server.user}\n"
                         f"password={server.password}\n")
        partial.replace(option_file)  # appears whole: the caller waits for it
        print(f"smoke_server: MariaDB on {server.host}:{server.port}", file=sys.stderr)
        stop.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
