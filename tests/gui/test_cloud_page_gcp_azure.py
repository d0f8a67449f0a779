"""The Cloud account step for Google Cloud SQL and Azure Database for MySQL (gui/pages/cloud.py), pytest-qt
offscreen, with real MariaDB servers and the official client libraries over real HTTP(S) against the STAND-INs of
tests/cloud_standins.py (no emulator exists for these APIs): the ``google`` and ``azure_cloud`` fixtures of
tests/test_gcp.py and tests/test_azure.py, whose socket guards fail the test on any connect beyond 127.0.0.0/8
and whose metadata-server probes point at a closed loopback port.

One more STAND-IN, local to this process: a resolver that makes the Azure endpoint name below answer with
127.0.0.1 (the test's MariaDB), so the wizard connects to a "flexible server endpoint" for real.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from collectors import azure, gcp
from collectors.aws import document_text
from collectors.cloudhistory import without_points
from gui.logs import setup_logging
from gui.pages.cloud import PROVIDERS, AzureFields, GcpFields, cloudsql_region, offered
from gui.qt import QApplication, QFileDialog
from gui.settings import Settings
from gui.state import PageId
from gui.wizard import Wizard
from tests.cloud_standins import AzureCloud, GoogleCloud, StandIn, azure_denied, google_denied
from tests.gui.cloud_helpers import (
    calls_on_the_gui_thread,
    collect_to_the_cloud_step,
    file_texts,
    open_the_cloud_step,
    review_sizing,
    tree_rows,
)
from tests.gui.conftest import MakeWizard, save_through, to_options, wizard_log_handlers
from tests.helpers import REPO, read_archive
from tests.servers import MariaDBFactory, MariaDBServer
from tests.test_azure import GROUP, SECRET, SUBSCRIPTION, azure_cloud  # noqa: F401 (fixture)
from tests.test_gcp import CONNECTION, PROJECT, google  # noqa: F401 (fixture)

AZURE_HOST = "shop-db.mysql.database.azure.com"
Google = tuple[StandIn, GoogleCloud, dict[str, str]]
Azure = tuple[StandIn, AzureCloud, dict[str, str]]


@pytest.fixture
def azure_name(monkeypatch: pytest.MonkeyPatch) -> str:
    """STAND-IN resolver: AZURE_HOST answers with 127.0.0.1 in this process; every other name as usual."""
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == AZURE_HOST else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return AZURE_HOST


def test_which_provider_the_endpoint_or_the_server_names() -> None:
    assert cloudsql_region("10a2b3c4d5e6.abc123def.europe-west1.sql.goog.") == "europe-west1"
    assert cloudsql_region("shop-db.sql.goog") == ""
    assert cloudsql_region("db.sql.goog.example.com") is None and cloudsql_region(None) is None
    cases = {(AZURE_HOST, None): "azure", ("10a2b3c4d5e6.abc123def.europe-west1.sql.goog", None): "gcp",
             ("127.0.0.1", "cloudsql"): "gcp", ("127.0.0.1", "azure"): "azure", ("127.0.0.1", "rds"): "aws",
             ("db1.example.com", "self-managed"): None, ("127.0.0.1", None): None}
    assert {key: (found[0].key if (found := offered(*key)) else None) for key in cases} == cases


def test_azure_endpoint_prefilled_test_access_finds_the_group_and_names_monitoring_reader(
        qtbot, wizard: Wizard, azure_cloud: Azure, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    stand_in, _, _ = azure_cloud
    stand_in.fail("metrics.list", azure_denied("Microsoft.Insights/Metrics/Read"))
    open_the_cloud_step(wizard, AZURE_HOST)
    page = wizard.cloud
    assert page.provider is PROVIDERS["azure"] and page.provider_choice.currentData() == "azure"
    assert page.why.text().startswith(f"{AZURE_HOST} is an Azure Database for MySQL flexible server endpoint.")
    fields = page.fields()
    assert isinstance(fields, AzureFields)
    assert fields.values() == {"server": "shop-db", "subscription": "", "group": ""}
    assert page.access.headerItem().text(2) == "Role / why not"
    threads = calls_on_the_gui_thread(monkeypatch, page.provider, "test_access")
    page.test_button.click()
    assert not page.test_button.isEnabled()  # the click returned at once: the calls run in the worker
    qtbot.waitUntil(lambda: page.test_button.isEnabled() and page.access.topLevelItemCount() > 0, timeout=30_000)
    assert threads == [False]
    rows = {row[0]: (row[1], row[2]) for row in tree_rows(page.access)}
    assert rows["resource group"] == ("yes", "Reader")
    assert rows["server shop-db"] == ("yes", "Reader")
    assert rows["server parameters"] == ("yes", "Reader")
    readable, why = rows["Azure Monitor metrics"]
    assert readable == "no" and why.startswith("Monitoring Reader; not allowed: the credentials lack "
                                               "Microsoft.Insights/Metrics/Read")
    assert page.status.text() == ("1 of 4 part(s) cannot be read; the others will be. Missing: Monitoring Reader "
                                  "(Copy policy has them all).")
    assert fields.group.text() == GROUP  # found by listing the subscription's servers, in the worker
    assert stand_in.seen["servers.list"] == 3  # every page (5 servers, 2 a page)

    clipboard = QApplication.clipboard()
    page.copy_policy.click()
    assert clipboard.text() == azure.policy_json()


def test_gcp_test_access_403_names_monitoring_viewer(qtbot, wizard: Wizard, google: Google,  # noqa: F811
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in, _, _ = google
    stand_in.fail("timeSeries.list", google_denied())
    open_the_cloud_step(wizard, "10a2b3c4d5e6.abc123def.europe-west1.sql.goog")
    page = wizard.cloud
    assert page.provider is PROVIDERS["gcp"]
    fields = page.fields()
    assert isinstance(fields, GcpFields)
    assert fields.values() == {"project": "", "region": "europe-west1", "instance": "", "credentials": "adc",
                               "key_file": ""}
    fields.instance.setEditText(CONNECTION)  # a whole connection name pasted says all three
    assert (fields.values()["project"], fields.values()["region"], fields.values()["instance"]) == (
        PROJECT, "europe-west1", "shop-db")
    threads = calls_on_the_gui_thread(monkeypatch, page.provider, "test_access")
    page.test_button.click()
    qtbot.waitUntil(lambda: page.test_button.isEnabled() and page.access.topLevelItemCount() > 0, timeout=30_000)
    assert threads == [False]
    assert [row[:2] for row in tree_rows(page.access)] == [["instance shop-db", "yes"],
                                                        ["Cloud Monitoring metrics", "no"]]
    assert tree_rows(page.access)[0][2] == "roles/cloudsql.viewer"
    assert tree_rows(page.access)[1][2].startswith("roles/monitoring.viewer; not allowed: the credentials lack "
                                               "monitoring.timeSeries.list")
    assert "Missing: roles/monitoring.viewer" in page.status.text()
    assert stand_in.seen["instances.get"] == 1 and stand_in.seen["timeSeries.list"] == 1  # one small call each

    QApplication.clipboard().setText("something else")
    page.copy_policy.click()
    assert QApplication.clipboard().text() == gcp.policy_text()


def test_gcp_instances_listed_in_the_worker_every_page(qtbot, wizard: Wizard, google: Google,  # noqa: F811
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in, _, _ = google
    open_the_cloud_step(wizard, "10a2b3c4d5e6.abc123def.europe-west1.sql.goog")
    page = wizard.cloud
    fields = page.fields()
    assert isinstance(fields, GcpFields)
    fields.list_button.click()  # no project yet: said, nothing called
    assert page.status.text().startswith("Give the project ID first")
    assert stand_in.seen["instances.list"] == 0
    fields.project.setText(PROJECT)
    fields.region.clear()
    threads = calls_on_the_gui_thread(monkeypatch, page.provider, "list_instances")
    fields.list_button.click()
    assert not fields.list_button.isEnabled()
    qtbot.waitUntil(fields.list_button.isEnabled, timeout=30_000)
    assert threads == [False]
    assert fields.instances() == ["analytics", "shop-db", "shop-db-replica", "staging"]
    assert stand_in.seen["instances.list"] == 2  # 4 instances, 2 a page
    assert page.status.text() == f"4 Cloud SQL instance(s) in {PROJECT}: pick one under Instance."
    fields.instance.setCurrentIndex(fields.instance.findText("shop-db"))
    fields.instance.activated.emit(fields.instance.currentIndex())  # what a click in the list does
    assert fields.values() == {"project": PROJECT, "region": "europe-west1", "instance": "shop-db",
                               "credentials": "adc", "key_file": ""}


def test_step_after_collect_for_a_cloudsql_server_reads_with_a_key_file_into_cloud_json(
        qtbot, make_wizard: MakeWizard, mariadb_factory: MariaDBFactory, google: Google,  # noqa: F811
        tmp_path: Path, config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in, _, env = google
    key_file = Path(env["GOOGLE_APPLICATION_CREDENTIALS"])
    private_key = json.loads(key_file.read_text())["private_key"]
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")  # no ADC: only the key file chosen on the page works
    # a real server whose version is Cloud SQL's: the platform detection says cloudsql (the address says nothing)
    server = mariadb_factory(extra_options={"version": "5.7.44-google-log"})
    wizard = make_wizard()
    with wizard_log_handlers():
        log_file = setup_logging()
        page = collect_to_the_cloud_step(qtbot, wizard, server, "cloudsql")
        assert page.why.text().startswith("The server says it runs on Google Cloud SQL.")
        fields = page.fields()
        assert isinstance(fields, GcpFields)
        wizard.next()  # nothing named: Next says so and stays
        assert wizard.currentId() == PageId.CLOUD and wizard.state.cloud is None
        assert page.status.text().startswith("Give the instance's project, region and name")
        fields.project.setText(PROJECT)
        fields.region.setText("europe-west1")
        fields.instance.setEditText("shop-db")
        fields.credentials.setCurrentIndex(fields.credentials.findData("file"))
        wizard.next()  # a key file, but none chosen
        assert wizard.currentId() == PageId.CLOUD and page.status.text().startswith("Choose the service account")
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(key_file), "Key files (*.json)"))
        assert fields.browse.isEnabled() and fields.key_file.isEnabled()
        fields.browse.click()  # the file dialog (answered here) sets the path
        assert fields.values()["key_file"] == str(key_file) and fields.values()["credentials"] == "file"
        wizard.next()  # reads the account in the worker, then goes on by itself
        assert wizard.currentId() == PageId.CLOUD and not page.isComplete()
        qtbot.waitUntil(lambda: wizard.currentId() == PageId.FINDINGS, timeout=30_000)
        document = wizard.state.current_cloud()
        assert document is not None and document["provider"] == "gcp" and document["skipped"] == []
        assert [(i["id"], i["role"], i["class"], i["vcpu"], i["memory_gib"]) for i in document["instances"]] == [
            ("shop-db", "primary", "db-custom-4-16384", 4, 16), ("shop-db-replica", "replica", "db-n1-standard-2",
                                                                   2, 7.5)]
        assert stand_in.seen["token"] == 1
        sizing = review_sizing(qtbot, wizard)
        assert sizing["Memory"] == ["16 GiB (db-custom-4-16384)", "cloud:gcp", ""]
        assert sizing["Compute"] == ["4 vCPU (db-custom-4-16384)", "cloud:gcp", ""]
        assert sizing["Storage allocated"] == ["250 GiB PD_SSD", "cloud:gcp", ""]
        assert sizing["Replicas"] == ["1 replica (shop-db-replica db-n1-standard-2); Multi-AZ standby", "cloud:gcp",
                                      ""]
        assert sizing["Query load, peak"][1:] == ["cloud:gcp", "14 days"]
        assert sizing["Query load, peak"][0].startswith("avg 112/s, p95 100/s, max 1,200/s")
        cpu = sizing["CPU utilisation"]
        assert cpu[1:] == ["cloud:gcp", "14 days"] and cpu[0].startswith("avg 12.5 %, p95 23 %, max 87.5 %")
        target = tmp_path / "out" / "gcp.tgz"
        save_through(qtbot, wizard, target)
    files = read_archive(target)
    assert files["cloud.json"] == document_text(without_points(document)).encode()
    assert json.loads(files["cloud.json"])["provider"] == "gcp"
    written = file_texts(tmp_path)
    assert log_file in written
    accounts = json.loads(written[config_dir / "cloud-accounts.json"])
    assert wizard.state.spec is not None
    assert accounts == {wizard.state.spec.target: {"provider": "gcp", "project": PROJECT, "region": "europe-west1",
                                                    "instance": "shop-db", "credentials": "file",
                                                    "key_file": str(key_file)}}
    # the key's private part is only in the key file itself: no other file written, nothing in the archive
    pem_line = private_key.splitlines()[1].encode()
    assert [p for p, data in written.items() if pem_line in data] == [key_file]
    assert not any(pem_line in data for data in files.values())
    assert not any(b"private_key" in data for data in files.values())


def test_azure_endpoint_read_with_the_collection_into_cloud_json_and_no_secret_anywhere(
        qtbot, make_wizard: MakeWizard, mariadb: MariaDBServer, azure_name: str, azure_cloud: Azure,  # noqa: F811
        tmp_path: Path, config_dir: Path) -> None:
    stand_in, _, _ = azure_cloud
    wizard = make_wizard()
    with wizard_log_handlers():
        log_file = setup_logging()
        to_options(qtbot, wizard, mariadb, azure_name)
        wizard.next()
        assert wizard.currentId() == PageId.CLOUD  # before Collect: the endpoint says so
        page = wizard.cloud
        fields = page.fields()
        assert isinstance(fields, AzureFields)
        fields.subscription.setText(SUBSCRIPTION)
        wizard.next()  # read with the collection; the resource group found by listing, in the worker
        assert wizard.currentId() == PageId.COLLECT
        qtbot.waitUntil(wizard.collect.isComplete, timeout=90_000)
        shown = wizard.collect.log_pane.toPlainText()
        assert "Cloud account: reading Azure Database for MySQL (flexible server) (read-only" in shown
        assert "Cloud account: cloud: 2 instance(s) read in westeurope" in shown
        document = wizard.state.current_cloud()
        assert document is not None and document["provider"] == "azure" and document["skipped"] == []
        assert document["resource_group"] == GROUP and stand_in.seen["servers.list"] == 3
        assert [(i["id"], i["role"], i["class"], i["vcpu"], i["memory_gib"]) for i in document["instances"]] == [
            ("shop-db", "primary", "Standard_D4ds_v4", 4, 16), ("shop-db-replica", "replica", "Standard_E2ds_v4",
                                                                  2, 16)]
        wizard.next()
        assert wizard.currentId() == PageId.FINDINGS  # the step came before Collect: not again
        sizing = review_sizing(qtbot, wizard)
        assert sizing["Memory"] == ["16 GiB (Standard_D4ds_v4)", "cloud:azure", ""]
        assert sizing["Compute"] == ["4 vCPU (Standard_D4ds_v4)", "cloud:azure", ""]
        assert sizing["Storage allocated"] == ["512 GiB Premium_LRS, 2,400 provisioned IOPS", "cloud:azure", ""]
        assert sizing["Replicas"] == ["1 replica (shop-db-replica Standard_E2ds_v4); Multi-AZ standby",
                                      "cloud:azure", ""]
        assert sizing["Query load, peak"][1:] == ["cloud:azure", "14 days"]
        assert sizing["Query load, peak"][0].startswith("avg 112/s, p95 100/s, max 1,200/s")
        cpu = sizing["CPU utilisation"]
        assert cpu[1:] == ["cloud:azure", "14 days"] and cpu[0].startswith("avg 12.5 %, p95 23 %, max 87.5 %")
        target = tmp_path / "out" / "azure.tgz"
        save_through(qtbot, wizard, target)
    files = read_archive(target)
    assert files["cloud.json"] == document_text(without_points(document)).encode()
    assert any(b"## Cloud (Azure)" in data for path, data in files.items() if path.startswith("ps_report_"))
    written = file_texts(tmp_path)
    assert log_file in written
    assert wizard.state.spec is not None
    assert json.loads(written[config_dir / "cloud-accounts.json"]) == {wizard.state.spec.target: {
        "provider": "azure", "server": "shop-db", "subscription": SUBSCRIPTION, "group": ""}}
    assert os.environ["AZURE_CLIENT_SECRET"] == SECRET  # planted: azure-identity read it for the token
    assert not any(SECRET.encode() in data for data in written.values()), "the client secret in a file"
    assert not any(SECRET.encode() in data for data in files.values()), "the client secret in the archive"


def test_the_provider_choice_switches_the_fields_and_is_remembered(
        qtbot, make_wizard: MakeWizard, config_dir: Path, azure_cloud: Azure) -> None:  # noqa: F811
    wizard = make_wizard()
    open_the_cloud_step(wizard, AZURE_HOST)
    page = wizard.cloud
    page.provider_choice.setCurrentIndex(page.provider_choice.findData("gcp"))  # the DBA knows better
    assert page.provider is PROVIDERS["gcp"] and page.box.title() == "Google Cloud SQL"
    fields = page.fields()
    assert isinstance(fields, GcpFields) and fields.isVisibleTo(page)
    assert not page._fields["azure"].isVisibleTo(page)
    fields.instance.setEditText(CONNECTION)
    assert page.validatePage()  # Next (not Skip): remembered; no server here to collect from
    assert wizard.state.cloud is not None and wizard.state.cloud.provider == "gcp"

    again = Wizard(settings=Settings(config_dir))
    qtbot.addWidget(again)
    open_the_cloud_step(again, AZURE_HOST)
    assert again.cloud.provider is PROVIDERS["gcp"]  # the cloud chosen last time for this connection
    assert again.cloud.fields().values() == {"project": PROJECT, "region": "europe-west1", "instance": "shop-db",
                                             "credentials": "adc", "key_file": ""}
    again.cloud.provider_choice.setCurrentIndex(again.cloud.provider_choice.findData("azure"))
    assert again.cloud.fields().values() == {"server": "shop-db", "subscription": "", "group": ""}  # prefilled
    again.close()


@pytest.mark.parametrize("host", [AZURE_HOST, "10a2b3c4d5e6.abc123def.europe-west1.sql.goog"])
def test_mnemonics_are_unique_on_the_google_and_azure_pages(wizard: Wizard, host: str) -> None:
    from gui.qt import QLabel, QPushButton

    open_the_cloud_step(wizard, host)
    page = wizard.cloud
    widgets = [w for w in page.findChildren(QPushButton) + page.findChildren(QLabel) if w.isVisibleTo(page)]
    texts = [w.text().replace("&&", "") for w in widgets]
    letters = [t[t.index("&") + 1].lower() for t in texts if "&" in t]
    assert sorted(letters) == sorted(set(letters)) and len(letters) >= 7
    assert not set(letters) & set("bnfu")  # Back, Next, Finish, About
    labels = [w for w in page.findChildren(QLabel) if "&" in w.text()]
    assert labels and all(label.buddy() is not None for label in labels)


STARTUP = """
import sys
from pathlib import Path
from gui.qt import QApplication
app = QApplication([])
from collectors.connection import ConnectionSpec
from gui.settings import Settings
from gui.state import PageId
from gui.wizard import Wizard

SDKS = ("googleapiclient", "google.auth", "google.oauth2", "httplib2", "azure.identity", "azure.mgmt",
        "azure.core", "msal", "boto3", "botocore")

def loaded():
    return sorted(m for m in sys.modules if m.startswith(SDKS))

wizard = Wizard(settings=Settings(Path(sys.argv[1])))
wizard.show()
app.processEvents()
print("start-up", loaded())
for host in sys.argv[2:]:
    wizard.state.spec = ConnectionSpec(host=host, port=3306, user="admin")
    wizard.setStartId(PageId.CLOUD)
    wizard.restart()
    app.processEvents()
    print(wizard.cloud.provider.key, loaded())
wizard.close()
"""


def test_no_cloud_sdk_is_imported_until_the_page_calls_its_cloud(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", STARTUP, str(tmp_path / "config"), AZURE_HOST,
                           "10a2b3c4d5e6.abc123def.europe-west1.sql.goog"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["start-up []", "azure []", "gcp []"]


def test_gcp_check_access_without_credentials_and_for_an_instance_that_does_not_exist(
        google: Google, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Qt-free: a missing instance is its part's "not found"; no credentials end the check in one line."""
    stand_in, _, _ = google
    items = gcp.check_access(gcp.GcpOptions(instance=f"{PROJECT}:europe-west1:gone"))
    assert [(i["part"], i["iam_action"], i["ok"]) for i in items] == [
        ("instance gone", "roles/cloudsql.viewer", False),
        ("Cloud Monitoring metrics", "roles/monitoring.viewer", True)]
    assert items[0]["reason"].startswith("not found: The Cloud SQL instance does not exist.")
    items = gcp.check_access(gcp.GcpOptions(), PROJECT)  # a project only: can its instances be listed?
    assert [(i["part"], i["ok"]) for i in items] == [(f"Cloud SQL instances of {PROJECT}", True),
                                                     ("Cloud Monitoring metrics", True)]
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    before = sum(stand_in.seen.values())
    assert gcp.check_access(gcp.GcpOptions(instance=CONNECTION)) == [
        {"part": "gcp", "iam_action": None, "ok": False, "reason": (
            "no Google credentials found: run gcloud auth application-default login, or give --gcp-credentials "
            "FILE (a service account key)")}]
    assert sum(stand_in.seen.values()) == before


def test_azure_check_access_without_a_subscription_calls_nothing(azure_cloud: Azure,  # noqa: F811
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in, _, _ = azure_cloud
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID")
    assert azure.check_access(azure.AzureOptions(), AZURE_HOST) == [
        {"part": "azure", "iam_action": None, "ok": False,
         "reason": "no subscription: give the subscription ID (or set AZURE_SUBSCRIPTION_ID)"}]
    assert sum(stand_in.seen.values()) == 0
    items = azure.check_access(azure.AzureOptions(subscription=SUBSCRIPTION, resource_group="other-rg"), AZURE_HOST)
    assert [(i["part"], i["iam_action"]) for i in items] == [
        ("server shop-db", "Reader"), ("server parameters", "Reader"), ("Azure Monitor metrics", "Monitoring Reader")]
    assert [i["ok"] for i in items[:2]] == [False, False]  # no such server in that group
    assert items[0]["reason"].startswith("not found (ResourceNotFound)")
    assert stand_in.seen["servers.list"] == 0  # the group was given: nothing listed
