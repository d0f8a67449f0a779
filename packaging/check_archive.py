"""Check an archive written by the frozen CLI: every file manifest.json lists is there with its size
and SHA-256, the summary files are all present, and the password is in none of them.

    python packaging/check_archive.py ARCHIVE.tgz [OPTION_FILE]   # OPTION_FILE: its password must not leak
"""

from __future__ import annotations

import configparser
import hashlib
import json
import re
import sys
import tarfile
from pathlib import Path

REQUIRED = ("facts.json", "manifest.json", "readiness.json", "submission.json", "freeform_questions.md")
REQUIRED_PATTERNS = (r"ps_report_[0-9_]+\.md", r"ps_samples_[0-9_]+/mysql-variables", r"ps_samples_[0-9_]+/mysqldump")


def check(archive: Path, secret: str | None) -> list[str]:
    problems: list[str] = []
    with tarfile.open(archive, "r:gz") as tar:
        contents = {member.name: tar.extractfile(member).read()  # type: ignore[union-attr]
                    for member in tar.getmembers() if member.isfile()}
    problems += [f"missing {name}" for name in REQUIRED if name not in contents]
    problems += [f"no member matches {pattern}" for pattern in REQUIRED_PATTERNS
                 if not any(re.fullmatch(pattern, name) for name in contents)]
    if "manifest.json" in contents:
        listed = json.loads(contents["manifest.json"])["files"]
        for entry in listed:
            data = contents.get(entry["path"])
            if data is None:
                problems.append(f"manifest lists {entry['path']}, the archive lacks it")
            elif len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
                problems.append(f"{entry['path']}: size or SHA-256 differs from manifest.json")
        unlisted = set(contents) - {entry["path"] for entry in listed} - {"manifest.json"}
        problems += [f"{name} is not in manifest.json" for name in sorted(unlisted)]
    if secret:
        problems += [f"{name} contains the password" for name, data in contents.items() if secret.encode() in data]
    if not problems:
        print(f"check_archive: ok: {len(contents)} files, all as manifest.json lists them, no password inside")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    secret = None
    if len(argv) == 2:
        options = configparser.ConfigParser(interpolation=None)
        options.read(argv[1], encoding="utf-8")
        secret = options.get("client", "password", fallback=None)
    problems = check(Path(argv[0]), secret)
    for problem in problems:
        print(f"check_archive: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
