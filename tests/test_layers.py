"""The layers of issue 14: collectors observe, prechecks.derive derives (once), the build renders.

* The report, readiness, prefill and derive modules import without the MySQL driver: a facts file is all they
  need (a report re-rendered on a machine without the driver, the wizard's Findings).
* The workload rates and the readiness evaluation each have exactly one caller in the source tree
  (collectors/, prechecks/, gui/): prechecks/derive.py. A second call (the report computing the rates again,
  the bundle evaluating readiness again) fails here, naming where.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("collectors", "prechecks", "gui")
DERIVE = "prechecks/derive.py"

# function name -> the one file allowed to call it
ONE_CALLER = {
    "evaluate": DERIVE,  # prechecks.readiness.evaluate
    "workload_rates": DERIVE,  # the rates from the two status samples (was collectors.server.compute_workload)
    "row_totals": DERIVE,  # rows read/written since start, inside workload_rates
}
# names that must not come back anywhere (the old rates function of the status collector)
GONE = ("compute_workload",)


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"), str(path))


def _called(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _calls_and_imports() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """name -> every "file:line" that calls it; name -> every "file:line" that imports it (any module)."""
    calls: dict[str, list[str]] = {}
    imports: dict[str, list[str]] = {}
    watched = {*ONE_CALLER, *GONE}
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called(node) in watched:
                calls.setdefault(str(_called(node)), []).append(f"{path}:{node.lineno}")
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name in watched:
                        imports.setdefault(alias.name, []).append(f"{path}:{node.lineno}")
    return calls, imports


def test_report_readiness_prefill_and_derive_import_without_the_driver() -> None:
    code = (
        "import sys\n"
        "sys.modules['mysql'] = None  # any import of mysql or mysql.connector fails\n"
        "import prechecks.report, prechecks.readiness, prechecks.prefill, prechecks.derive\n"
        "from prechecks.derive import derive\n"
        "from prechecks.report import render_report\n"
        "facts = {'format_version': 1, 'status': {'first': {'Uptime': '100', 'Questions': '500'},\n"
        "         'second': {'Uptime': '110', 'Questions': '600'}, 'interval_seconds': 10.0}}\n"
        "report = render_report(derive(facts))\n"
        "assert 'Could not render' not in report, report\n"
        "print(report.split('## Summary')[1].split('## ')[0])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "Queries per second (average) | 5.0" in done.stdout
    assert "Queries per second (sampled) | 10.0" in done.stdout


def test_rates_and_readiness_have_one_caller() -> None:
    calls, imports = _calls_and_imports()
    for name, allowed in ONE_CALLER.items():
        assert [where.split(":")[0] for where in calls.get(name, [])] == [allowed], (
            f"{name}() must be called once, in {allowed} (prechecks.derive derives every figure once): "
            f"called at {calls.get(name, [])}")
        outside = [where for where in imports.get(name, []) if not where.startswith(allowed + ":")]
        assert outside == [], f"{name} is imported outside {allowed}: {outside}"
    for name in GONE:
        assert name not in calls and name not in imports, f"{name} is back: {calls.get(name)} {imports.get(name)}"


def test_the_check_sees_a_second_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-caller check is not vacuous: a module that evaluates readiness again is found."""
    copy = tmp_path / "prechecks"
    copy.mkdir()
    (copy / "again.py").write_text("from prechecks.readiness import evaluate\n\n"
                                   "def twice(facts):\n    return evaluate(facts)\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGES", ("prechecks",))
    calls, imports = _calls_and_imports()
    assert calls == {"evaluate": ["prechecks/again.py:4"]}
    assert imports == {"evaluate": ["prechecks/again.py:1"]}
