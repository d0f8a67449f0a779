"""Options: History from Prometheus or PMM — against a real Prometheus (tests/prometheus_standin.py: fourteen planted
days of ``db-planted:9104`` backfilled with promtool, and a real mysqld_exporter scraped every second) behind the
STAND-IN token gate (401 without a token, 403 with another). Find instances lists both instances, the planted one
is picked, Collect reads its history, and the saved archive holds it as history.json, its charts and the sizing
rows from it; the token is found nowhere but in the keychain (pytest-qt, offscreen, a real MariaDB)."""

from __future__ import annotations

import json
import time
import types
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from collectors import prometheus
from collectors.prometheus import KEYRING_SERVICE, TOKEN_ENV, keyring_account
from collectors.series import iso
from gui.logs import setup_logging
from gui.state import PageId
from gui.wizard import Wizard
from tests import prometheus_standin as standin
from tests.conftest import InMemoryKeyring
from tests.gui.conftest import save_through, to_options, type_a_draft_answer, wizard_log_handlers
from tests.helpers import read_archive
from tests.servers import MariaDBServer

TOKEN = "planted-prom-token-7Qz9xW3v"  # the stand-in's token, planted to be looked for


class Stack:
    def __init__(self, prometheus_child: standin.Child, exporter: standin.Child, planted: standin.Planted,
                 gate: standin.TokenGate) -> None:
        self.prometheus = prometheus_child
        self.exporter = exporter
        self.planted = planted
        self.gate = gate


@pytest.fixture(scope="module")
def stack(mariadb: MariaDBServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not standin.available():  # as tests/conftest.py does for mariadbd: missing is a failure, not a skip
        pytest.fail(standin.MISSING, pytrace=False)
    # ended 7 to 14 days ago: within the 14 days Find instances looks at, beside the live exporter's instance
    with standin.planted_stack(mariadb, tmp_path_factory.mktemp("prometheus-gui")) as (planted, exporter, child):
        gate = standin.TokenGate(child.port, TOKEN)
        try:
            yield Stack(child, exporter, planted, gate)
        finally:
            gate.stop()


@pytest.fixture(autouse=True)
def no_token_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.delenv(prometheus.BASIC_ENV, raising=False)


def test_instances_listed_one_picked_its_history_in_the_archive_and_the_token_nowhere(
        qtbot, wizard: Wizard, mariadb: MariaDBServer, stack: Stack, in_memory_keyring: InMemoryKeyring,
        private_home_dirs: Path, config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with wizard_log_handlers():
        log_file = setup_logging(tmp_path / "logs")
        _read_save_and_look(qtbot, wizard, mariadb, stack, in_memory_keyring, private_home_dirs, config_dir,
                            tmp_path, monkeypatch)
    assert "prometheus" in log_file.read_text().lower()  # the log was written, the token not in it (below too)
    assert TOKEN not in log_file.read_text()


def _read_save_and_look(qtbot, wizard: Wizard, mariadb: MariaDBServer, stack: Stack,
                        in_memory_keyring: InMemoryKeyring, private_home_dirs: Path, config_dir: Path, tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    to_options(qtbot, wizard, mariadb)
    box = wizard.options_page.history
    box.url.setText(stack.gate.url)
    box.token.setText(TOKEN)
    box.remember.setChecked(True)
    box.find_button.click()
    qtbot.waitUntil(lambda: box.instances.count() > 0, timeout=30_000)
    labels = [box.instances.itemText(i) for i in range(box.instances.count())]
    assert labels == [f"127.0.0.1:{stack.exporter.port} (job mysql)", "db-planted:9104 (job mysql)"]
    assert box.status.text().startswith("2 MySQL instance(s) found")
    box.instances.setCurrentIndex(1)
    assert box.instances.currentData() == 'instance="db-planted:9104"'

    planted = stack.planted
    # the history is read "now" = the planted window's end, so every planted point is in it
    monkeypatch.setattr(prometheus, "time", types.SimpleNamespace(time=planted.end.timestamp,
                                                                  monotonic=time.monotonic))
    wizard.next()
    page = wizard.collect
    qtbot.waitUntil(page.isComplete, timeout=120_000)
    assert in_memory_keyring.passwords[(KEYRING_SERVICE, keyring_account(stack.gate.url))] == TOKEN
    assert f"Bearer {TOKEN}" in stack.gate.seen
    assert "History (Prometheus): history from Prometheus: " in page.log_pane.toPlainText()
    document = json.loads(wizard.state.history or "null")
    assert document["source"] == "prometheus"
    expected = planted.expected_rates(900)
    qps = document["series"]["queries_per_second"]
    assert dict(qps["points"]) == pytest.approx(expected, abs=1e-4)
    assert (qps["max"], qps["max_at"]) == (500, iso((planted.spike[0] + timedelta(minutes=15)).timestamp()))
    # one history.json per server: the watch is off, and says why
    assert not page.watch_button.isEnabled()
    assert page.watch_status.text().startswith("The history comes from Prometheus (read)")

    wizard.next()
    assert wizard.currentId() == PageId.FINDINGS
    wizard.next()
    type_a_draft_answer(wizard, "Rails (typed so that a draft is written)")
    target = tmp_path / "out" / "prometheus.tgz"
    save_through(qtbot, wizard, target)
    files = read_archive(target)
    assert json.loads(files["history.json"]) == document
    assert {"charts/queries_per_second.svg", "charts/connections.svg", "charts/cpu_percent.svg",
            "charts/weekly_profile.svg"} <= set(files)
    facts = json.loads(files["facts.json"])
    rows = {r["key"]: r for r in facts["sizing"]["rows"]}
    assert (rows["query_load_peak"]["source"], rows["query_load_peak"]["number"]) == ("history:prometheus", 500)
    assert rows["query_load_average"]["number"] == qps["avg"] == round(sum(expected.values()) / len(expected), 4)
    assert rows["query_load_average"]["window"] == "14 days"

    wizard.close()
    written = {p: p.read_bytes() for folder in (private_home_dirs, config_dir, tmp_path / "home", tmp_path / "logs",
                                                 target.parent) for p in folder.rglob("*") if p.is_file()}
    assert any("drafts" in p.parts for p in written) and tmp_path / "logs" / "wizard.log" in written
    assert not [p for p, blob in written.items() if TOKEN.encode() in blob]  # settings, log, draft, archive, map
    assert not [name for name, blob in files.items() if TOKEN.encode() in blob]


def test_a_401_is_said_on_the_page_in_one_line(qtbot, wizard: Wizard, mariadb: MariaDBServer, stack: Stack) -> None:
    to_options(qtbot, wizard, mariadb)
    box = wizard.options_page.history
    box.url.setText(stack.gate.url)  # no token given, none in the environment or the keychain
    box.find_button.click()
    qtbot.waitUntil(lambda: "HTTP 401" in box.status.text(), timeout=30_000)
    text = box.status.text()
    assert "\n" not in text and box.find_button.isEnabled() and box.instances.count() == 0
    assert text == (f"Prometheus at {stack.gate.url} asks for credentials (HTTP 401) — give its bearer token "
                    "above (or set PS_PRECHECKS_PROMETHEUS_TOKEN)")
    assert stack.gate.seen[-1] is None


def test_another_server_picks_its_own_instance(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    """Add another server: the URL and token stay, the instance picked for the kept server does not."""
    from gui.state import KeptServer
    from tests.gui.submission_helpers import collected

    to_options(qtbot, wizard, mariadb)
    box = wizard.options_page.history
    box.url.setText("http://127.0.0.1:9")
    box.instances.addItem("db1:9104 (job mysql)", 'instance="db1:9104"')
    first = box.choice()
    assert first is not None and first.match == 'instance="db1:9104"'
    run = collected(mariadb)
    wizard.state.kept.append(KeptServer("first", run, dict(run.readiness), "t", None, None))
    wizard.options_page.initializePage()
    choice = box.choice()
    assert choice is not None and (choice.url, choice.match) == ("http://127.0.0.1:9", "")
    assert box.instances.count() == 0 and box.status.text().startswith("Another server: Find MySQL instances again")
