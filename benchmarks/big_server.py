"""Our CLI against pt-mysql-summary --all-databases on a server with 20 schemas x 1,000 tables.

    python benchmarks/big_server.py [--runs 3] [--sleep 1] [--schemas 20] [--tables 1000]

Starts a MariaDB (tests.servers.start_mariadb) with the slow query log on (long_query_time = 1,
log_output = TABLE) and builds the schemas in it: tables with a mix of column types, a few indexes
(FULLTEXT and SPATIAL among them), foreign keys, some tables without a primary key, some latin1,
MyISAM or partitioned, and per schema a few views, procedures, a function, triggers and an event,
so every collector has work. The build goes through parallel `mariadb` clients, one multi-statement
script per schema; its time is printed.

Then runs `ps-prechecks --sleep=S` (the normal full run, every database) as a dedicated account
`bench_ps` (the privileges preflight asks for), and `pt-mysql-summary --sleep=S --all-databases`
as root, alternately. Prints the median wall time of each, the ratio ours/pt (target <= 0.33), our
peak RSS (target <= 250 MB), our longest statement from manifest.json and from the server's slow
log (statements of bench_ps at or over 5 s: target 0), the slowest collectors and whether the
schema DDL was cut. The server and temp dirs are removed on every exit path, Ctrl-C and SIGTERM
included. `--serve` builds the server and waits (for profiling by hand).
"""

from __future__ import annotations

import argparse
import secrets
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
    side_by_side,
    tear_down,
)

TARGET_RATIO = 0.33
TARGET_RSS_MIB = 250
STATEMENT_LIMIT = 5.0
BENCH_USER = "bench_ps"
# what preflight and the inventory's visibility checks ask for (SHOW VIEW for SHOW CREATE VIEW)
BENCH_GRANTS = "SELECT, SHOW VIEW, PROCESS, REPLICATION CLIENT, SLAVE MONITOR, TRIGGER, EVENT ON *.*"
SERVER_OPTIONS = {
    "innodb-buffer-pool-size": "256M",
    # the build writes 20,000 .frm/.ibd pairs: do not fsync each one (reads are unaffected)
    "innodb-flush-log-at-trx-commit": "0",
    "innodb-doublewrite": "0",
    "slow-query-log": "ON",
    "long-query-time": "1",
    "log-output": "TABLE",
}


def table_sql(i: int) -> str:
    """One CREATE TABLE; the mix depends on i."""
    name = f"t{i:04d}"
    myisam = i % 97 == 50
    partitioned = i % 200 == 150
    no_pk = i % 40 == 7
    fk = i % 10 == 1 and not (myisam or partitioned or no_pk) and i > 0
    cols = [
        "id INT UNSIGNED NOT NULL AUTO_INCREMENT" if not no_pk else "id INT UNSIGNED NULL",
        "name VARCHAR(64) NOT NULL DEFAULT ''",
        "created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP",
        "amount DECIMAL(12,2) NULL",
        "flags TINYINT UNSIGNED NOT NULL DEFAULT 0",
        "status ENUM('new','active','gone') NOT NULL DEFAULT 'new'",
        "note TEXT NULL",
    ]
    keys = ["KEY k_name (name)", "KEY k_created (created_at, flags)"]
    if not no_pk:
        keys.insert(0, "PRIMARY KEY (id)")
    else:
        keys.append("KEY k_id (id)")
    if i % 5 == 0:
        cols.append("payload JSON NULL")
    if i % 3 == 0:
        cols.append("price DOUBLE NULL")
        cols.append("ratio FLOAT NULL")
    if i % 7 == 0:
        cols.append("code CHAR(8) CHARACTER SET latin1 NOT NULL DEFAULT ''")
        if not partitioned:
            keys.append("UNIQUE KEY u_code (code)")
    if i % 11 == 0:
        cols.append("image MEDIUMBLOB NULL")
    if i % 13 == 0:
        cols.append("total DECIMAL(14,2) AS (amount * 2) VIRTUAL")
    if i % 50 == 20 and not partitioned:
        keys.append("FULLTEXT KEY ft_note (note)")
    if i % 100 == 30 and not (partitioned or myisam):
        cols.append("location POINT NOT NULL")
        keys.append("SPATIAL KEY sp_location (location)")
    if fk:
        cols.append("parent_id INT UNSIGNED NULL")
        action = " ON DELETE CASCADE" if i % 20 == 1 else ""
        keys.append(f"CONSTRAINT fk_{name}_parent FOREIGN KEY (parent_id) REFERENCES t{i - 1:04d} (id){action}")
    options = " ENGINE=MyISAM" if myisam else " ENGINE=InnoDB"
    options += " DEFAULT CHARSET=latin1" if i % 25 == 3 else " DEFAULT CHARSET=utf8mb4"
    if partitioned:
        options += " PARTITION BY HASH (id) PARTITIONS 4"
    return f"CREATE TABLE {name} (\n  " + ",\n  ".join(cols + keys) + f"\n){options};\n"


def schema_script(schema: str, tables: int) -> str:
    parts = [f"CREATE DATABASE {schema};\nUSE {schema};\nSET SESSION sql_log_bin = 0;\nSET foreign_key_checks = 0;\n"]
    parts += [table_sql(i) for i in range(tables)]
    last = tables - 1
    for v in range(5):
        a, b = (v * 7) % tables, (v * 7 + 1) % tables
        parts.append(f"CREATE VIEW v{v} AS SELECT a.id, a.name, b.created_at FROM t{a:04d} a"
                     f" JOIN t{b:04d} b ON b.id = a.id;\n")
    parts += [
        f"CREATE PROCEDURE p_touch(IN n INT) UPDATE t{min(2, last):04d} SET flags = n WHERE id = n;\n",
        f"CREATE PROCEDURE p_count() SELECT COUNT(*) FROM t{min(4, last):04d};\n",
        "CREATE FUNCTION f_double(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;\n",
        f"CREATE TRIGGER tr_ins BEFORE INSERT ON t{min(2, last):04d} FOR EACH ROW SET NEW.flags = 1;\n",
        f"CREATE TRIGGER tr_upd BEFORE UPDATE ON t{min(4, last):04d} FOR EACH ROW SET NEW.flags = NEW.flags + 1;\n",
        f"CREATE EVENT e_purge ON SCHEDULE EVERY 1 DAY DO DELETE FROM t{min(6, last):04d} WHERE id < 0;\n",
        f"INSERT INTO t{min(8, last):04d} (name, amount) VALUES ('a', 1.5), ('b', 2.5), ('c', NULL);\n",
    ]
    return "".join(parts)


def build(server: Any, schemas: int, tables: int, jobs: int) -> float:
    """Create the schemas through parallel `mariadb` clients; returns the seconds it took."""
    return build_in_parallel(server, {name: partial(schema_script, name, tables)
                                      for name in (f"bench_{n:02d}" for n in range(schemas))},
                             jobs=jobs, timeout=1800)


def start_big(work: Path, schemas: int, tables: int, jobs: int = 4) -> tuple[Any, tuple[Any, ...], float]:
    """A throwaway MariaDB under `work` with the schemas built: (server, (tables, views), build seconds).
    The caller discards it (tests.servers.discard)."""
    from tests import servers

    print(f"starting MariaDB and building {schemas} schemas x {tables} tables ...", file=sys.stderr)
    # its own tmpdir: internal temporary tables must not share /tmp with whatever cleans it
    (work / "tmp").mkdir()
    server = servers.start_mariadb(work / "server", extra_options={**SERVER_OPTIONS, "tmpdir": str(work / "tmp")})
    build_seconds = build(server, schemas, tables, jobs)
    (objects,) = server.admin(
        "SELECT SUM(TABLE_TYPE = 'BASE TABLE'), SUM(TABLE_TYPE = 'VIEW') FROM information_schema.TABLES"
        " WHERE TABLE_SCHEMA LIKE 'bench\\_%'")
    print(f"built {objects[0]} tables and {objects[1]} views in {build_seconds:.1f} s", file=sys.stderr)
    return server, objects, build_seconds


def bench_account(server: Any, work: Path) -> Path:
    """The account our runs use (told apart in the slow log by its name) and its option file."""
    password = secrets.token_urlsafe(18)
    server.create_user(BENCH_USER, password, [BENCH_GRANTS], host="localhost")
    path = work / "bench_ps.cnf"
    path.write_text(f"[client]\nuser={BENCH_USER}\npassword={password}\nsocket={server.socket}\n")
    path.chmod(0o600)
    return path


def slow_log(server: Any, user: str) -> tuple[int, float, int]:
    """(statements >= 1 s, the longest in seconds, statements >= 5 s) of `user` in mysql.slow_log."""
    (row,) = server.admin(
        "SELECT COUNT(*), COALESCE(MAX(TIME_TO_SEC(query_time)), 0),"
        " COALESCE(SUM(TIME_TO_SEC(query_time) >= %s), 0) FROM mysql.slow_log WHERE user_host LIKE %s",
        (STATEMENT_LIMIT, f"{user}[%"))
    return int(row[0]), float(row[1]), int(row[2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each tool (3)")
    parser.add_argument("--sleep", type=float, default=1.0, help="--sleep given to both tools (1)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each tool first (1)")
    parser.add_argument("--schemas", type=int, default=20, help="schemas to build (20)")
    parser.add_argument("--tables", type=int, default=1000, help="tables per schema (1000)")
    parser.add_argument("--jobs", type=int, default=4, help="parallel clients for the build (4)")
    parser.add_argument("--serve", action="store_true",
                        help="build, print the option files and wait for Ctrl-C (no runs)")
    args = parser.parse_args(argv)
    pt = prerequisites()
    if pt is None:
        return 1


    signal.signal(signal.SIGTERM, on_sigterm)
    work = Path(tempfile.mkdtemp(prefix="ps-bench-big-"))
    server = None
    try:
        server, objects, build_seconds = start_big(work, args.schemas, args.tables, args.jobs)
        ours_defaults = bench_account(server, work)
        server.admin("TRUNCATE mysql.slow_log")
        if args.serve:
            print(f"ours: --defaults-file={ours_defaults}\nroot: --defaults-file={server.client_defaults_file}")
            print("serving; Ctrl-C to stop", file=sys.stderr)
            while True:
                time.sleep(3600)

        sleep = f"--sleep={args.sleep:g}"
        env = run_env(work)
        out = work / "out"
        out.mkdir()
        ours_cmd = [sys.executable, "-m", "prechecks.cli", f"--defaults-file={ours_defaults}", sleep,
                    "--quiet", "--output", str(out)]
        pt_cmd = [pt, sleep, "--all-databases", "--", f"--defaults-file={server.client_defaults_file}"]
        runs = side_by_side(ours_cmd, pt_cmd, env, runs=args.runs, warmup=args.warmup)
        ours, theirs, manifests, ratio = runs.ours, runs.theirs, runs.manifests, runs.ratio
        longest = [s.longest_statement or 0.0 for s in ours]
        rss_mib = max(s.max_rss_kib for s in ours) / 1024
        slow_count, slow_longest, over_limit = slow_log(server, BENCH_USER)
        version = subprocess.run([pt, "--version"], capture_output=True, text=True, check=False).stdout.strip()
        print(f"server: {server.admin('SELECT VERSION()')[0][0]}; {version}; --sleep={args.sleep:g}; "
              f"{args.runs} runs each after {args.warmup} warm-up, alternating")
        print(f"built {objects[0]} tables and {objects[1]} views in {args.schemas} schemas in {build_seconds:.1f} s")
        print(median_line("ours (ps-prechecks)", ours))
        print(median_line("pt-mysql-summary --all-databases", theirs))
        verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
        print(f"ratio ours/pt: {ratio:.2f}  (target <= {TARGET_RATIO}: {verdict})")
        print(f"ours peak RSS: {rss_mib:.1f} MiB  (target <= {TARGET_RSS_MIB} MB: "
              f"{'met' if rss_mib * 1.048576 <= TARGET_RSS_MIB else 'NOT met'})")
        print(f"ours longest statement (manifest statements.longest_seconds): max {max(longest):.3f} s, "
              f"median {statistics.median(longest):.3f} s")
        print(f"slow log ({BENCH_USER}, every run incl. warm-up): {slow_count} statements >= 1 s, longest "
              f"{slow_longest:.3f} s, {over_limit} >= {STATEMENT_LIMIT:g} s (target 0: "
              f"{'met' if over_limit == 0 else 'NOT met'})")
        collectors = manifests[len(manifests) // 2]["collectors"]
        slowest = sorted(collectors, key=lambda c: -float(c.get("seconds", 0)))[:5]
        print("slowest collectors (one timed run): " + ", ".join(
            f"{c['name']} {float(c['seconds']):.2f} s" for c in slowest))
        ddl = [next(c for c in m["collectors"] if c["name"] == "schema_ddl") for m in manifests]
        print("schema_ddl: " + "; ".join(f"{c['status']}" + (f" ({c['reason']})" if c.get("reason") else " (not cut)")
                                         for c in ddl))
        met = ratio <= TARGET_RATIO and rss_mib * 1.048576 <= TARGET_RSS_MIB and over_limit == 0
        return 0 if met else 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        tear_down(server, work)


if __name__ == "__main__":
    sys.exit(main())
