"""Wall time of our CLI against pt-mysql-summary on the same throwaway MariaDB with real-world schemas.

    python benchmarks/cli_vs_pt.py [--runs 5] [--sleep 1]

Starts a MariaDB (tests.servers.start_mariadb), loads cacti, MediaWiki and phpMyAdmin's schemas
(tests.realworld), then runs `ps-prechecks` and `pt-mysql-summary` alternately, both with the
same --sleep and the same [client] option file (root over the socket). Prints the median wall
time of each, the ratio ours/pt (target <= 0.6), our peak RSS and the longest statement our runs
sent (manifest.json statements.longest_seconds). The server and temp dirs are removed on every
exit path, Ctrl-C and SIGTERM included.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import median_line, on_sigterm, prerequisites, run_env, side_by_side, tear_down

TARGET_RATIO = 0.6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each tool (5)")
    parser.add_argument("--sleep", type=float, default=1.0, help="--sleep given to both tools (1)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each tool first (1)")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="keep PYTHONDONTWRITEBYTECODE as it is (default: compile once into a temp "
                        "pycache, as an installed package is)")
    args = parser.parse_args(argv)
    pt = prerequisites()
    if pt is None:
        return 1

    from tests import realworld, servers

    signal.signal(signal.SIGTERM, on_sigterm)
    work = Path(tempfile.mkdtemp(prefix="ps-bench-"))
    server = None
    try:
        print("starting MariaDB and loading cacti, mediawiki, phpmyadmin ...", file=sys.stderr)
        server = servers.start_mariadb(work / "server")
        realworld.load_schemas(server)
        defaults = f"--defaults-file={server.client_defaults_file}"
        sleep = f"--sleep={args.sleep:g}"
        # an installed package has its .pyc; a dev checkout may not
        env = run_env(work, bytecode_cache=not args.no_bytecode_cache)
        out = work / "out"
        out.mkdir()
        ours_cmd = [sys.executable, "-m", "prechecks.cli", defaults, sleep, "--quiet", "--output", str(out)]
        pt_cmd = [pt, sleep, "--", defaults]
        runs = side_by_side(ours_cmd, pt_cmd, env, runs=args.runs, warmup=args.warmup)
        ours, theirs, ratio = runs.ours, runs.theirs, runs.ratio
        longest = [s.longest_statement or 0.0 for s in ours]
        version = subprocess.run([pt, "--version"], capture_output=True, text=True, check=False).stdout.strip()
        print(f"server: {server.admin('SELECT VERSION()')[0][0]}; {version}; --sleep={args.sleep:g}; "
              f"{args.runs} runs each, alternating; bytecode cache {'off' if args.no_bytecode_cache else 'on'}")
        print(median_line("ours (ps-prechecks)", ours))
        print(median_line("pt-mysql-summary   ", theirs))
        verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
        print(f"ratio ours/pt: {ratio:.2f}  (target <= {TARGET_RATIO}: {verdict})")
        print(f"ours peak RSS: {max(s.max_rss_kib for s in ours) / 1024:.1f} MiB "
              f"(pt-mysql-summary, its largest reaped process: {max(s.max_rss_kib for s in theirs) / 1024:.1f} MiB)")
        print(f"ours longest statement (manifest statements.longest_seconds): max {max(longest):.3f} s, "
              f"median {statistics.median(longest):.3f} s")
        return 0 if ratio <= TARGET_RATIO else 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        tear_down(server, work)


if __name__ == "__main__":
    sys.exit(main())
