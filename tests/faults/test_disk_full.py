"""The disk fills while the archive is written: one line of cause and remedy, no partial archive.

Two ways to run out: a 64 KiB tmpfs filled to the last byte (needs root and a permitted mount; skipped
with the reason otherwise), and a file size limit (RLIMIT_FSIZE) on the CLI, which any user can set.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.faults.helpers import CLI, Box, Planted, assert_no_secrets, one_error_line
from tests.test_cli import full_tmpfs

REMEDY = "free some space or choose another --output directory"


def test_disk_full_on_a_tmpfs(shared: Planted, box: Box) -> None:
    with full_tmpfs(box.root / "full") as full:
        result = box.run([*shared.args(), "--sleep=0.2", "-o", str(full), "--answers", str(box.answers)])
        line = one_error_line(result)
        assert line == f"ps-prechecks: could not write the archive in {full}: No space left on device — {REMEDY}"
        assert sorted(p.name for p in full.iterdir()) == ["ballast"]  # no partial archive
    box.assert_clean()
    assert_no_secrets([box.root], shared.secrets, {"stdout": result.stdout, "stderr": result.stderr})


def test_file_size_limit_while_writing(shared: Planted, box: Box) -> None:
    # an attachment makes the archive larger than the limit; the draft (small) is written before it
    attachment = box.inputs / "diagram.bin"
    attachment.write_bytes(os.urandom(256 * 1024))
    limit = 64 * 1024
    launcher = ("import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]),) * 2);"
                " os.execv(sys.argv[2], sys.argv[2:])")
    command = [sys.executable, "-c", launcher, str(limit), *CLI]
    args = [*shared.args(), "--sleep=0.2", "-o", str(box.out), "--answers", str(box.answers),
            "--attach", str(attachment)]
    result = subprocess.run([*command, *args], capture_output=True, text=True, env=box.env(), timeout=120,
                            check=False, cwd=box.root, stdin=subprocess.DEVNULL)
    line = one_error_line(result)
    assert line == f"ps-prechecks: could not write the archive in {box.out}: File too large — {REMEDY}"
    box.assert_clean()
    assert box.drafts()  # what was small enough is there, whole
    assert_no_secrets([box.root], shared.secrets, {"stdout": result.stdout, "stderr": result.stderr})
