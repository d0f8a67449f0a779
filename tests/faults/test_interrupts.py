"""Ctrl-C (SIGINT) at each phase of a run: connecting, collecting (between collectors, and with a statement
in flight during the schema walk), the sampling wait, writing the archive.

The moment is found from the CLI's own progress on stderr (or, for a statement in flight, from the
proxy that holds its answer; for the archive, from the partial file appearing). Each ends with exit 130
and one line saying nothing was written, and leaves no partial archive and no temp file.
"""

from __future__ import annotations

import os
import signal
import socket
import time

import pytest

from tests.faults.helpers import Box, Planted, archive_of, assert_no_secrets, interrupted, started, token
from tests.faults.proxy import Proxy

NOTHING = "ps-prechecks: interrupted — nothing was written"


def test_sigint_while_connecting(box: Box) -> None:
    password = token("ConnectingPw")
    with socket.socket() as silent:  # accepts, never sends the handshake: the CLI waits in connect()
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        args = ["--host=127.0.0.1", f"--port={silent.getsockname()[1]}", "--user=root", "-o", str(box.out),
                "--answers", str(box.answers)]
        with started(box, args, password=password) as cli:
            cli.wait_for(r"connecting to 127\.0\.0\.1:")
            time.sleep(0.3)
            cli.signal(signal.SIGINT)
            result = cli.finish(30)
    assert interrupted(result) == NOTHING
    assert "[ 1/" not in result.stderr
    box.assert_clean()
    assert_no_secrets([box.root], [password], {"stdout": result.stdout, "stderr": result.stderr})


@pytest.mark.parametrize("moment", ["between-collectors", "statement-in-flight"])
def test_sigint_during_the_collection(shared: Planted, box: Box, moment: str) -> None:
    with Proxy(shared.server.host, shared.server.port) as proxy:
        args = [f"--defaults-file={shared.client_file}", "--host=127.0.0.1", f"--port={proxy.port}", "--sleep=30",
                "-o", str(box.out), "--answers", str(box.answers)]
        if moment == "statement-in-flight":  # the schema walk, the read-ahead session reading the next schema
            proxy.stall_on(b"SHOW CREATE TABLE `extra_3`")
        else:  # a slow network: the collectors after the second one take seconds, the signal lands among them
            proxy.latency = 0.05
        with started(box, args) as cli:
            if moment == "statement-in-flight":
                assert proxy.stalled.wait(60), cli.stderr
                assert proxy.wait_connections(2), proxy.open_connections
            else:
                cli.wait_for(r"^\[ 2/\d+\] Server variables: ok")
            cli.signal(signal.SIGINT)
            result = cli.finish(30)
    assert interrupted(result) == NOTHING
    assert "status_sample: waiting" not in result.stderr  # it stopped in the collection, not after it
    box.assert_clean()
    assert_no_secrets([box.root], shared.secrets, {"stdout": result.stdout, "stderr": result.stderr})


def test_sigint_during_the_sampling_wait(shared: Planted, box: Box) -> None:
    args = [*shared.args(), "--sleep=60", "-o", str(box.out), "--answers", str(box.answers)]
    with started(box, args) as cli:
        cli.wait_for(r"status_sample: waiting")
        asked = time.monotonic()
        cli.signal(signal.SIGINT)
        result = cli.finish(30)
    assert time.monotonic() - asked < 30  # not the rest of the 60 s wait
    assert interrupted(result) == NOTHING
    box.assert_clean()
    assert_no_secrets([box.root], shared.secrets, {"stdout": result.stdout, "stderr": result.stderr})


def test_sigint_while_writing_the_archive(shared: Planted, box: Box) -> None:
    # two big attachments keep the archive being written (compressed, then verified) for a while
    attachments = []
    for index in range(2):
        path = box.inputs / f"capture-{index}.bin"
        path.write_bytes(os.urandom(20 * 1024 * 1024))
        attachments += ["--attach", str(path)]
    args = [*shared.args(), "--sleep=0.2", "-o", str(box.out), "--answers", str(box.answers), *attachments]
    with started(box, args) as cli:
        deadline = time.monotonic() + 120
        while not any(p.name.endswith(".partial") for p in box.out.iterdir()):
            assert cli.proc.poll() is None, f"the CLI ended before writing:\n{cli.stderr}"
            assert time.monotonic() < deadline, f"no partial archive after 120 s:\n{cli.stderr}"
            time.sleep(0.005)
        cli.signal(signal.SIGINT)
        result = cli.finish(60)
    line = interrupted(result)
    if line == NOTHING:
        box.assert_clean()
    else:  # the signal came after the rename: then the archive is complete, and the line says so
        archive = next(box.out.iterdir())
        assert line == f"ps-prechecks: interrupted — the archive {archive} is complete"
        archive_of(result.__class__(result.args, 0, f"{archive}\n", result.stderr), box)
        box.assert_clean(archive)
    assert_no_secrets([box.root], shared.secrets, {"stdout": result.stdout, "stderr": result.stderr})
