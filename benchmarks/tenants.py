"""Schema per tenant: thousands of small schemas against pt-mysql-summary --all-databases.

    python benchmarks/tenants.py [--schemas 1000 2000 10000] [--tables 10] [--runs 1] [--warmup 0]
    python benchmarks/tenants.py --schemas 2000 --serve

The shape multi-tenant SaaS servers have (one schema per customer, the same few tables in each),
the opposite of big_server.py's 20 x 1,000. Starts one MariaDB (the options big_server.py uses) and
grows it: for each count given, in increasing order, it adds the schemas up to that count (one
multi-statement script per 100 schemas through parallel `mariadb` clients) and then runs our CLI and
pt-mysql-summary side by side on it, as big_server.py does. The 10,000-schema server (100,000
tables) is built once, on the way, not per count.

Each tenant schema has `--tables` tables (keys, a foreign key chain, a JSON and an ENUM column, one
latin1 table), a view, and every 10th tenant a trigger and a procedure. Prints per count: the median wall time of
each tool, the ratio ours/pt (target <= 0.3 at 2,000 schemas), our time per schema, our peak RSS (target
<= 400 MiB at 10,000), our longest statement (manifest and the slow log: none >= 5 s), the slowest collectors and
whether the schema DDL was cut; at the end the time per schema from the smallest to the largest count (target:
within 25 %), twice: the walk's (the seconds of the collectors that walk the schemas, from manifest.json, over the
schemas: what grew with the square of the schemas before, and what the target is judged on, on the first run at
each count: a DBA runs the tool once, and with --runs 3 the later runs at 1,000 schemas find the whole server's
files in the caches, 6.2 s then 4.4 and 4.5 s, while at 10,000 none do, 68, 76 and 64 s; the median of the runs is
printed beside it) and the wall time's (which also spreads the run's fixed part, ~2 s with --sleep=1, over the
schemas, so it falls as they grow). Then ours once more on the largest server, limited with --databases to as many
schemas as the smallest count: the walk per schema of the same schemas on a larger server (what the server's size
costs: its information_schema reads may cost more per table there) against the walk of all of them on that server
(what the number of schemas walked costs, the server the same), with the server's counters per schema for both
(buffer pool reads from disk, table definitions and tables opened, mariadbd's user and system CPU time, ours) and
its statement time by what each statement reads. `--also DIR` runs a second checkout of ours (e.g. main) on the
same server, for before/after figures from one run.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import (
    build_in_parallel,
    median_line,
    on_sigterm,
    prerequisites,
    run_env,
    run_ours,
    side_by_side,
    tear_down,
)
from benchmarks.big_server import BENCH_USER, SERVER_OPTIONS, STATEMENT_LIMIT, bench_account, slow_log

TARGET_RATIO = 0.3  # at 2,000 schemas
TARGET_RSS_MIB = 400  # at 10,000 schemas
TARGET_FLAT = 0.25  # time per schema, smallest count to largest
PER_SCRIPT = 100  # schemas per build script


def _walking() -> frozenset[str]:
    from collectors.registry import ALL_COLLECTORS

    return frozenset(c.name for c in ALL_COLLECTORS if c.walk is not None)


WALKING = _walking()  # the collectors that walk the schemas (collectors.base.walking_collector)


def walk_seconds(manifest: dict[str, Any]) -> float:
    """The seconds of the collectors that walk the schemas, from one run's manifest.json."""
    return sum(float(c.get("seconds", 0)) for c in manifest["collectors"] if c["name"] in WALKING)


def tenant_sql(n: int, tables: int) -> str:
    """One tenant's schema: the same tables in every tenant, as a schema-per-customer SaaS has them."""
    schema = f"tenant_{n:05d}"
    parts = [f"CREATE DATABASE {schema};\nUSE {schema};\n"]
    for i in range(tables):
        cols = ["id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT", "name VARCHAR(100) NOT NULL DEFAULT ''",
                "created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP"]
        keys = ["PRIMARY KEY (id)", "KEY k_created (created_at)"]
        if i % 3 == 0:
            cols.append("status ENUM('new','paid','void') NOT NULL DEFAULT 'new'")
        if i % 4 == 1:
            cols.append("attrs JSON NULL")
        if i % 5 == 2:
            cols.append("amount DECIMAL(12,2) NULL")
            keys.append("UNIQUE KEY u_name (name)")
        if i > 0 and i % 3 == 1:
            cols.append("parent_id BIGINT UNSIGNED NULL")
            keys.append(f"CONSTRAINT fk_t{i}_parent FOREIGN KEY (parent_id) REFERENCES t{i - 1:02d} (id)")
        charset = "latin1" if i == tables - 1 and tables > 1 else "utf8mb4"
        parts.append(f"CREATE TABLE t{i:02d} (" + ", ".join(cols + keys) + f") DEFAULT CHARSET={charset};\n")
    parts.append("CREATE VIEW v_recent AS SELECT id, name FROM t00 WHERE created_at > '2020-01-01';\n")
    if n % 10 == 0:
        parts.append("CREATE TRIGGER tr_t00 BEFORE INSERT ON t00 FOR EACH ROW SET NEW.name = TRIM(NEW.name);\n")
        parts.append("CREATE PROCEDURE p_count() SELECT COUNT(*) FROM t00;\n")
    return "".join(parts)


def grow(server: Any, start: int, stop: int, tables: int, jobs: int) -> float:
    """Add tenants start..stop-1 through parallel `mariadb` clients; returns the seconds it took."""
    scripts = {f"tenants from {first}": partial(_tenants_script, first, min(first + PER_SCRIPT, stop), tables)
               for first in range(start, stop, PER_SCRIPT)}
    return build_in_parallel(server, scripts, jobs=jobs, timeout=3600)


def _tenants_script(first: int, stop: int, tables: int) -> str:
    """One client's script: tenants first..stop-1, without the binary log or foreign key checks."""
    head = "SET SESSION sql_log_bin = 0;\nSET foreign_key_checks = 0;\n"
    return head + "".join(tenant_sql(n, tables) for n in range(first, stop))


SETTLE_LIMIT = 300.0  # seconds to wait at most for the server to write out what the build left


def settle(server: Any) -> float:
    """Wait until InnoDB has written out the pages the build dirtied (or stops making progress): right after
    adding thousands of tables its background flushing takes a core of the two for minutes, and the tool measured
    first (ours) would pay for it. The benchmark's own server is told to flush them now (innodb_max_dirty_pages_pct
    0 while it waits, then as it was). Returns the seconds waited."""
    started = time.perf_counter()
    ((before,),) = server.admin("SELECT @@GLOBAL.innodb_max_dirty_pages_pct")
    server.admin("SET GLOBAL innodb_max_dirty_pages_pct = 0")
    try:
        last = None
        while time.perf_counter() - started < SETTLE_LIMIT:
            rows = dict(server.admin("SHOW GLOBAL STATUS WHERE Variable_name IN "
                                     "('Innodb_buffer_pool_pages_dirty', 'Innodb_buffer_pool_pages_total')"))
            dirty, total = int(rows["Innodb_buffer_pool_pages_dirty"]), int(rows["Innodb_buffer_pool_pages_total"])
            if dirty <= total // 100 or (last is not None and dirty >= last):
                break
            last = dirty
            time.sleep(2)
    finally:
        server.admin(f"SET GLOBAL innodb_max_dirty_pages_pct = {float(before)}")
    return time.perf_counter() - started


def start_tenants(work: Path, options: dict[str, str]) -> Any:
    from tests import servers

    (work / "tmp").mkdir()
    # 100,000 tables: more file handles than the default, as a server of that shape has them configured
    return servers.start_mariadb(work / "server", extra_options={
        **SERVER_OPTIONS, "tmpdir": str(work / "tmp"), "open-files-limit": "65535", **options})


def server_option(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: give NAME=VALUE, e.g. innodb-buffer-pool-size=2G")
    return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schemas", type=int, nargs="+", default=[1000, 2000, 10000],
                        help="tenant counts to measure at, the server grown from one to the next (1000 2000 10000)")
    parser.add_argument("--tables", type=int, default=10, help="tables per tenant (10)")
    parser.add_argument("--runs", type=int, default=1, help="timed runs of each tool per count (1)")
    parser.add_argument("--warmup", type=int, default=0, help="untimed runs of each tool first (0)")
    parser.add_argument("--sleep", type=float, default=1.0, help="--sleep given to both tools (1)")
    parser.add_argument("--jobs", type=int, default=3, help="parallel clients for the build (3)")
    parser.add_argument("--also", type=Path, help="another checkout of ours (e.g. main) run on the same server")
    parser.add_argument("--also-up-to", type=int, default=2000,
                        help="run --also only at counts up to this (2000): the old walk takes minutes beyond")
    parser.add_argument("--no-pt", action="store_true", help="ours only (the ratio is then not measured)")
    parser.add_argument("--server-option", type=server_option, action="append", default=[], metavar="NAME=VALUE",
                        help="a mariadbd option over the benchmark's own (e.g. innodb-buffer-pool-size=2G), repeatable")
    parser.add_argument("--serve", action="store_true",
                        help="build up to the largest count, print the option files and wait for Ctrl-C (no runs)")
    args = parser.parse_args(argv)
    pt = prerequisites()
    if pt is None:
        return 1
    counts = sorted(set(args.schemas))


    signal.signal(signal.SIGTERM, on_sigterm)
    work = Path(tempfile.mkdtemp(prefix="ps-bench-tenants-"))
    server = None
    per_schema: dict[int, float] = {}
    walk_per_schema: dict[int, float] = {}
    first_walk_per_schema: dict[int, float] = {}  # each count's first run: the caches as a DBA's one run finds them
    first_counters: dict[str, float] = {}
    met = True
    try:
        server = start_tenants(work, dict(args.server_option))
        ours_defaults = bench_account(server, work)
        built = 0
        for count in counts:
            print(f"building tenants {built} to {count - 1} ({args.tables} tables each) ...", file=sys.stderr)
            seconds = grow(server, built, count, args.tables, args.jobs)
            built = count
            print(f"built {count} schemas (total) in +{seconds:.1f} s; settled in {settle(server):.0f} s",
                  file=sys.stderr)
            if args.serve:
                continue
            server.admin("TRUNCATE mysql.slow_log")
            met &= measure(args, pt, server, work, ours_defaults, count, per_schema, walk_per_schema,
                           first_walk_per_schema)
            if count == counts[0] and len(counts) > 1:  # for the comparison at the end: ours alone, the same schemas
                _walk, first_counters = same_server_walk(args, server, work, ours_defaults, count)
        if args.serve:
            print(f"ours: --defaults-file={ours_defaults}\nroot: --defaults-file={server.client_defaults_file}")
            print("serving; Ctrl-C to stop", file=sys.stderr)
            while True:
                time.sleep(3600)
        if len(per_schema) > 1:
            low, high = walk_per_schema[counts[0]], walk_per_schema[counts[-1]]
            cold_low, cold_high = first_walk_per_schema[counts[0]], first_walk_per_schema[counts[-1]]
            growth = cold_high / cold_low - 1
            flat = abs(growth) <= TARGET_FLAT
            met &= flat
            print(f"walk time per schema {counts[0]} -> {counts[-1]}, first run of each: {cold_low * 1000:.2f} ms -> "
                  f"{cold_high * 1000:.2f} ms ({growth:+.0%}; target within {TARGET_FLAT:.0%}: "
                  f"{'met' if flat else 'NOT met'})")
            if args.runs > 1:
                print(f"walk time per schema {counts[0]} -> {counts[-1]}, median of {args.runs} runs: "
                      f"{low * 1000:.2f} ms -> {high * 1000:.2f} ms ({high / low - 1:+.0%}; the later runs at "
                      f"{counts[0]} find the server's files in the caches, at {counts[-1]} they do not)")
            wall_low, wall_high = per_schema[counts[0]], per_schema[counts[-1]]
            print(f"wall time per schema {counts[0]} -> {counts[-1]}: {wall_low * 1000:.2f} ms -> "
                  f"{wall_high * 1000:.2f} ms ({wall_high / wall_low - 1:+.0%}; the run's fixed part spread over more "
                  "schemas as they grow)")
            same, same_counters = same_server_walk(args, server, work, ours_defaults, counts[0])
            print(f"walk time per schema of {counts[0]} schemas on this {counts[-1]}-schema server (--databases): "
                  f"{same * 1000:.2f} ms, against {low * 1000:.2f} ms on the {counts[0]}-schema server "
                  f"({same / low - 1:+.0%}: what the server's own size costs) and {high * 1000:.2f} ms walking all "
                  f"{counts[-1]} here ({high / same - 1:+.0%}: what the number of schemas walked costs, the server "
                  "the same)")
            print(f"server counters per schema walked, {counts[0]} on the {counts[0]}-schema server: "
                  f"{_per_schema(first_counters, counts[0])}")
            print(f"server counters per schema walked, {counts[0]} on this {counts[-1]}-schema server: "
                  f"{_per_schema(same_counters, counts[0])}")
            print(f"server time per schema walked (ms, performance_schema digests) by what the statement reads, "
                  f"{counts[0]}-schema server -> {counts[-1]}-schema server: "
                  f"{kinds_side_by_side(first_counters, same_counters, counts[0])}")
        return 0 if met else 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        tear_down(server, work)


def measure(args: argparse.Namespace, pt: str, server: Any, work: Path, ours_defaults: Path, count: int,
            per_schema: dict[int, float], walk_per_schema: dict[int, float],
            first_walk_per_schema: dict[int, float]) -> bool:
    """Both tools side by side on the server as it is now; prints the figures, True when the targets are met."""
    from benchmarks._common import Sample

    sleep = f"--sleep={args.sleep:g}"
    env = run_env(work)
    out = work / "out"
    out.mkdir(exist_ok=True)
    ours_cmd = [sys.executable, "-m", "prechecks.cli", f"--defaults-file={ours_defaults}", sleep,
                "--quiet", "--output", str(out)]
    pt_cmd = [pt, sleep, "--all-databases", "--", f"--defaults-file={server.client_defaults_file}"]
    if args.no_pt:
        pt_cmd = ["true"]
    runs = side_by_side(ours_cmd, pt_cmd, env, runs=args.runs, warmup=args.warmup)
    ours, theirs, manifests = runs.ours, runs.theirs, runs.manifests
    median = statistics.median(s.seconds for s in ours)
    per_schema[count] = median / count
    rss_mib = max(s.max_rss_kib for s in ours) / 1024
    longest = max(s.longest_statement or 0.0 for s in ours)
    slow_count, slow_longest, over_limit = slow_log(server, BENCH_USER)
    options = "".join(f", --{name}={value}" for name, value in args.server_option)
    print(f"== {count} schemas x {args.tables} tables; {args.runs} runs each after {args.warmup} warm-up, "
          f"--sleep={args.sleep:g}{options}")
    print(median_line("ours (ps-prechecks)", ours))
    met = over_limit == 0
    if not args.no_pt:
        print(median_line("pt-mysql-summary --all-databases", theirs))
        verdict = ""
        if count == 2000:
            verdict = f"  (target <= {TARGET_RATIO} at 2,000: {'met' if runs.ratio <= TARGET_RATIO else 'NOT met'})"
            met &= runs.ratio <= TARGET_RATIO
        print(f"ratio ours/pt: {runs.ratio:.2f}{verdict}")
    if args.also is not None and count <= args.also_up_to:
        also_env = dict(env, PYTHONPATH=str(args.also.resolve()), PYTHONPYCACHEPREFIX=str(work / "pycache-also"))
        also_cmd = [sys.executable, "-m", "prechecks.cli", *ours_cmd[3:]]
        samples: list[Sample] = []
        for _ in range(args.runs):
            samples.append(_timed_in(also_cmd, also_env, args.also.resolve()))
        print(median_line(f"ours from {args.also}", samples)
              + f"; peak RSS {max(s.max_rss_kib for s in samples) / 1024:.1f} MiB")
    walks = [walk_seconds(manifest) for manifest in manifests]
    walked = statistics.median(walks)
    walk_per_schema[count] = walked / count
    first_walk_per_schema[count] = walks[0] / count
    print(f"ours per schema: {per_schema[count] * 1000:.2f} ms wall, {walk_per_schema[count] * 1000:.2f} ms walking "
          f"the schemas ({walked:.2f} s: {', '.join(sorted(WALKING))}); walk per schema by run: "
          + ", ".join(f"{w / count * 1000:.2f}" for w in walks) + " ms")
    rss_verdict = ""
    if count >= 10000:
        verdict = "met" if rss_mib <= TARGET_RSS_MIB else "NOT met"
        rss_verdict = f"  (target <= {TARGET_RSS_MIB} MiB at 10,000: {verdict})"
        met &= rss_mib <= TARGET_RSS_MIB
    print(f"ours peak RSS: {rss_mib:.1f} MiB{rss_verdict}")
    print(f"ours longest statement: {longest:.3f} s (manifest); slow log ({BENCH_USER}): {slow_count} >= 1 s, "
          f"longest {slow_longest:.3f} s, {over_limit} >= {STATEMENT_LIMIT:g} s (target 0)")
    collectors = manifests[len(manifests) // 2]["collectors"]
    slowest = sorted(collectors, key=lambda c: -float(c.get("seconds", 0)))[:5]
    print("slowest collectors: " + ", ".join(f"{c['name']} {float(c['seconds']):.2f} s" for c in slowest))
    ddl = next(c for c in manifests[-1]["collectors"] if c["name"] == "schema_ddl")
    print(f"schema_ddl: {ddl['status']}" + (f" ({ddl['reason']})" if ddl.get("reason") else " (not cut)"))
    sys.stdout.flush()
    return met


# what the server did for our run: pages InnoDB read from disk (its buffer pool missed), table definitions and
# tables it opened (its caches missed): the per-table cost of information_schema grows with these
COUNTERS = ("Innodb_buffer_pool_reads", "Innodb_buffer_pool_read_requests", "Opened_table_definitions",
            "Opened_tables", "Table_open_cache_misses")


def server_counters(server: Any) -> dict[str, float]:
    names = ", ".join(f"'{name}'" for name in COUNTERS)
    found: dict[str, float] = {
        str(k): int(v) for k, v in server.admin(f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})")}
    # mariadbd's user and system time (fields 14 and 15 of /proc/PID/stat, in clock ticks)
    fields = Path(f"/proc/{server.pid}/stat").read_text().rpartition(")")[2].split()
    found["server_user_ms"] = int(fields[11]) * 1000 / os.sysconf("SC_CLK_TCK")
    found["server_system_ms"] = int(fields[12]) * 1000 / os.sysconf("SC_CLK_TCK")
    return found


def _per_schema(deltas: dict[str, float], count: int) -> str:
    names = (*COUNTERS, "server_user_ms", "server_system_ms", "our_cpu_ms")
    return ", ".join(f"{name} {deltas.get(name, 0) / count:.2f}" for name in names)


_READS = re.compile(r"information_schema`?\s*\.\s*`?(\w+)|^(SHOW CREATE \w+)|^(SHOW \w+)", re.IGNORECASE)


def statement_kinds(server: Any) -> dict[str, float]:
    """The server's time (ms) by what each statement digest reads (an information_schema table, SHOW CREATE ...,
    else its first words), from performance_schema since it was last emptied."""
    found: dict[str, float] = {}
    for text, wait in server.admin("SELECT DIGEST_TEXT, SUM_TIMER_WAIT FROM "
                                   "performance_schema.events_statements_summary_by_digest"):
        match = _READS.search(str(text or ""))
        if text is None:
            kind = "(digest table full: statements of any kind)"
        else:
            kind = next((g.upper() for g in match.groups() if g), "") if match else " ".join(str(text).split()[:2])
        found[kind] = found.get(kind, 0.0) + int(wait or 0) / 1e9
    return found


def same_server_walk(args: argparse.Namespace, server: Any, work: Path, ours_defaults: Path,
                     count: int) -> tuple[float, dict[str, float]]:
    """The walk's seconds per schema of our CLI limited (--databases) to the first `count` tenants of the server
    as it is now, and the server's counters (COUNTERS) over that run: set against the walk of every schema on the
    same server, it tells the cost of the number of schemas walked from the cost of the server's size (its
    per-table reads may cost more as it holds more tables)."""
    out = work / "out"
    out.mkdir(exist_ok=True)
    names = ",".join(f"tenant_{n:05d}" for n in range(count))
    command = [sys.executable, "-m", "prechecks.cli", f"--defaults-file={ours_defaults}", f"--sleep={args.sleep:g}",
               "--quiet", "--output", str(out), f"--databases={names}"]
    server.admin("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")
    before = server_counters(server)
    sample, manifest = run_ours(command, run_env(work))
    after = server_counters(server)
    deltas = {name: after[name] - before[name] for name in after}
    deltas["our_cpu_ms"] = sample.cpu_seconds * 1000  # the whole run's: its fixed part included
    deltas.update({f"statements {kind}": ms for kind, ms in statement_kinds(server).items()})
    return walk_seconds(manifest) / count, deltas


def kinds_side_by_side(small: dict[str, float], large: dict[str, float], count: int) -> str:
    """The server's statement time per schema walked by kind, the same schemas on both servers, largest first."""
    kinds = sorted({k for k in (*small, *large) if k.startswith("statements ")}, key=lambda k: -large.get(k, 0))
    return "; ".join(f"{k.removeprefix('statements ')} {small.get(k, 0) / count:.2f} -> {large.get(k, 0) / count:.2f}"
                     for k in kinds[:10])


def _timed_in(command: list[str], env: dict[str, str], cwd: Path) -> Any:
    """One run of another checkout's CLI from its own directory (`-m` imports from the working directory):
    its wall time and peak RSS; the archive it wrote is removed."""
    import os

    from benchmarks._common import Sample

    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, env=env, cwd=cwd)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{cwd}: exited {proc.returncode}: {err.read().decode(errors='replace')[-800:]}")
    Path(out.decode().strip().splitlines()[-1]).unlink()
    return Sample(seconds, int(usage.ru_maxrss))


if __name__ == "__main__":
    sys.exit(main())
