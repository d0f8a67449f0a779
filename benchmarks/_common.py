"""Helpers shared by the benchmarks: timed runs with peak RSS, the manifest of an archive, SIGTERM, the end of a run."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Sample:
    seconds: float
    max_rss_kib: int
    longest_statement: float | None = None
    cpu_seconds: float = 0.0  # the process's own user + system time


def timed(command: list[str], env: dict[str, str]) -> tuple[Sample, str]:
    """Run one command; wall time and the peak RSS of that process (wait4 gives its own rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{command[0]} exited {proc.returncode}: {err.decode(errors='replace')[-800:]}")
    sample = Sample(seconds, int(usage.ru_maxrss), cpu_seconds=usage.ru_utime + usage.ru_stime)
    return sample, out.decode(errors="replace")


def read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        manifest: dict[str, Any] = json.load(handle)
        return manifest


def longest_statement(manifest: dict[str, Any]) -> float:
    return float(manifest["statements"]["longest_seconds"])


def run_env(work: Path, *, bytecode_cache: bool = True) -> dict[str, str]:
    """The environment for our CLI: the checkout on PYTHONPATH, no MYSQL_PWD, and (by default) a
    private pycache so our modules are compiled once, as they are in an installed package."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("MYSQL_PWD", None)
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def build_in_parallel(server: Any, scripts: Mapping[str, Callable[[], str]], *, jobs: int, timeout: float) -> float:
    """Each SQL script (what it builds -> a function that writes it, called in the worker) through a `mariadb`
    client of its own, ``jobs`` at a time, as root; the seconds it took. A script that fails raises, naming what
    it built and the client's last words."""
    from concurrent.futures import ThreadPoolExecutor

    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        raise RuntimeError("the mariadb client is needed to build the schemas")
    command = [client, f"--defaults-file={server.client_defaults_file}", "--batch"]

    def one(what: str) -> None:
        result = subprocess.run(command, input=scripts[what]().encode(), capture_output=True, timeout=timeout,
                                check=False)
        if result.returncode != 0:
            raise RuntimeError(f"building {what} failed: {result.stderr.decode(errors='replace')[-800:]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, scripts))
    return time.perf_counter() - started


def tear_down(server: Any, work: Path) -> None:
    """The end of a benchmark run, however it ends (Ctrl-C and SIGTERM too: on_sigterm): ``server`` (None: none
    yet) discarded, every server the run started shut down, its temp folder removed."""
    from tests import servers

    if server is not None:
        servers.discard(server)
    servers.shutdown_all()
    shutil.rmtree(work, ignore_errors=True)


def on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    """SIGTERM handler: unwind like Ctrl-C, so every `finally` cleans up."""
    raise KeyboardInterrupt


def alternate(run_ours: Callable[[bool], None], run_pt: Callable[[bool], None], *, runs: int, warmup: int,
              last: Callable[[], tuple[float, float]]) -> None:
    """Untimed warm-up runs, then timed runs alternating who goes first (``keep`` = timed)."""
    for _ in range(warmup):
        run_ours(False)
        run_pt(False)
    for i in range(runs):
        for step in ((run_ours, run_pt) if i % 2 == 0 else (run_pt, run_ours)):
            step(True)
        ours, theirs = last()
        print(f"run {i + 1}/{runs}: ours {ours:.2f} s, pt {theirs:.2f} s", file=sys.stderr)


@dataclass
class SideBySide:
    """The timed runs of both tools (warm-ups left out) and the manifest of each of our archives."""

    ours: list[Sample]
    theirs: list[Sample]
    manifests: list[dict[str, Any]]

    @property
    def ratio(self) -> float:
        return statistics.median(s.seconds for s in self.ours) / statistics.median(s.seconds for s in self.theirs)


def run_ours(command: list[str], env: dict[str, str]) -> tuple[Sample, dict[str, Any]]:
    """One run of our CLI: its wall time, peak RSS and longest statement, and the manifest of the archive it wrote
    (its last stdout line), which is removed."""
    sample, stdout = timed(command, env)
    archive = Path(stdout.strip().splitlines()[-1])
    manifest = read_manifest(archive)
    sample.longest_statement = longest_statement(manifest)
    archive.unlink()
    return sample, manifest


def side_by_side(ours_cmd: list[str], pt_cmd: list[str], env: dict[str, str], *, runs: int,
                 warmup: int) -> SideBySide:
    """Our CLI (run_ours) and pt, alternating."""
    result = SideBySide([], [], [])

    def ours(keep: bool) -> None:
        sample, manifest = run_ours(ours_cmd, env)
        if keep:
            result.ours.append(sample)
            result.manifests.append(manifest)

    def run_pt(keep: bool) -> None:
        sample, _ = timed(pt_cmd, env)
        if keep:
            result.theirs.append(sample)

    alternate(ours, run_pt, runs=runs, warmup=warmup,
              last=lambda: (result.ours[-1].seconds, result.theirs[-1].seconds))
    return result


def median_line(label: str, samples: list[Sample]) -> str:
    """``label median wall time: M s  (min A, max B)``"""
    seconds = [s.seconds for s in samples]
    return (f"{label} median wall time: {statistics.median(seconds):.3f} s  "
            f"(min {min(seconds):.3f}, max {max(seconds):.3f})")


def prerequisites() -> str | None:
    """pt-mysql-summary's path when it and mariadbd are installed, else None (the cause on stderr)."""
    from tests import servers

    pt = shutil.which("pt-mysql-summary")
    if pt is None:
        print("pt-mysql-summary not found: apt-get install percona-toolkit", file=sys.stderr)
        return None
    if not servers.mariadb_available():
        print(servers.MARIADB_MISSING, file=sys.stderr)
        return None
    return pt
