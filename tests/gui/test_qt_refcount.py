"""The Qt binding must not lose references to None: PySide6-Essentials 6.12.0 on Python 3.11 dropped one on every
call of a method that returns nothing (QLabel.setText, QTimer.setInterval, ...), so a long session — a watch
updating its chart and status for days, a 10,000-database list — ended in "Fatal Python error: none_dealloc".
pyproject.toml excludes that release; this test catches it (or a later one like it) before it ships."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label, timer = QLabel(), QTimer()
for call in (lambda: label.setText("x"), lambda: timer.setInterval(5), lambda: label.setVisible(False)):
    before = sys.getrefcount(None)
    for _ in range(1000):
        call()
    print(sys.getrefcount(None) - before)
"""


def test_void_calls_keep_none_alive() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    drift = [int(line) for line in result.stdout.split()]
    # a few references may come and go with the lambdas; 1,000 calls losing one each would be -1000
    assert len(drift) == 3 and all(abs(d) < 10 for d in drift), drift
