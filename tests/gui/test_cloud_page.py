"""The wizard's optional Cloud account step (gui/pages/cloud.py) with real MariaDB servers and moto in server mode
(real botocore over HTTP on 127.0.0.1; tests/aws_standin.py), pytest-qt offscreen.

Two STAND-INs, both local to this process: a resolver that makes the RDS endpoint name below answer with
127.0.0.1 (the test's MariaDB), so the wizard connects to an "RDS endpoint" for real; and FaultProxy, which
answers one AWS action with AccessDenied. Nothing leaves the loopback: AWS_ENDPOINT_URL is moto (or the proxy),
the instance-metadata probe is off, and a socket guard fails the test on any connect beyond 127.0.0.0/8.
"""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collectors.aws import document_text, policy_json
from collectors.cloudhistory import without_points
from gui.logs import setup_logging
from gui.pages.cloud import AwsFields
from gui.qt import QApplication
from gui.settings import Settings
from gui.state import PageId
from gui.wizard import Wizard
from tests.aws_standin import FaultProxy, MotoServer, moto_env, start_moto
from tests.gui.cloud_helpers import (
    calls_on_the_gui_thread,
    collect_to_the_cloud_step,
    file_texts,
    open_the_cloud_step,
    tree_rows,
)
from tests.gui.conftest import MakeWizard, save_through, to_options, type_a_draft_answer, wizard_log_handlers
from tests.gui.submission_helpers import collected, open_at
from tests.helpers import loopback_only, read_archive
from tests.servers import MariaDBFactory, MariaDBServer

REGION = "eu-west-1"
RDS_HOST = "shop-db.c9akciq32.eu-west-1.rds.amazonaws.com"
# planted in the environment: the AWS SDK reads them; none may reach a file the wizard writes
PLANTED = {"AWS_ACCESS_KEY_ID": "AKIAPLANTEDKEY7Q2XW9", "AWS_SECRET_ACCESS_KEY": "planted-secret-0f3c9e1d77aa",
           "AWS_SESSION_TOKEN": "planted-session-token-5b6d2c8e40ff"}


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = start_moto(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def aws_env(moto: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Planted keys, empty AWS config files in tmp_path, moto as the endpoint, one RDS instance; loopback only."""
    env = moto_env(moto, tmp_path, monkeypatch, PLANTED)
    outside = loopback_only(monkeypatch)
    import boto3

    rds = boto3.client("rds", region_name=REGION, endpoint_url=moto.url)
    rds.create_db_instance(DBInstanceIdentifier="shop-db", DBInstanceClass="db.r6g.large", Engine="mysql",
                           EngineVersion="8.0.35", AllocatedStorage=200, StorageType="gp3",
                           MasterUsername="admin", MasterUserPassword="moto-master-pw-1",
                           AvailabilityZone="eu-west-1a")
    yield env
    assert outside == [], f"connects beyond the loopback were attempted: {outside}"


@pytest.fixture
def rds_name(monkeypatch: pytest.MonkeyPatch) -> str:
    """STAND-IN resolver: RDS_HOST answers with 127.0.0.1 in this process (the MySQL driver connects to the test
    server by that name); every other name resolves as usual."""
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == RDS_HOST else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return RDS_HOST


def _profiles(page) -> list[str]:
    fields = page.fields()
    assert isinstance(fields, AwsFields)
    return [fields.profile.itemData(i) for i in range(fields.profile.count())]


def test_step_for_an_rds_endpoint_only_and_skipping_leaves_no_cloud_json(
        qtbot, make_wizard: MakeWizard, mariadb: MariaDBServer, rds_name: str, aws_env: dict[str, str],
        tmp_path: Path) -> None:
    plain = make_wizard()
    to_options(qtbot, plain, mariadb, mariadb.host)
    plain.next()
    assert plain.currentId() == PageId.COLLECT  # a plain host: no Cloud account step
    qtbot.waitUntil(plain.collect.isComplete, timeout=90_000)
    plain.next()
    assert plain.currentId() == PageId.FINDINGS  # the server says self-managed: none after Collect either
    assert PageId.CLOUD not in plain.visitedIds()

    wizard = make_wizard()
    to_options(qtbot, wizard, mariadb, rds_name)
    wizard.next()
    assert wizard.currentId() == PageId.CLOUD
    page = wizard.cloud
    fields = page.fields()
    assert isinstance(fields, AwsFields)
    assert fields.values() == {"profile": "", "region": REGION, "kind": "instance", "id": "shop-db"}
    assert rds_name in page.why.text()
    page.skip_button.click()  # one click
    assert wizard.currentId() == PageId.COLLECT
    assert wizard.state.cloud is None
    qtbot.waitUntil(wizard.collect.isComplete, timeout=90_000)
    assert "Cloud account" not in wizard.collect.log_pane.toPlainText()
    target = tmp_path / "out" / "skipped.tgz"
    save_through(qtbot, wizard, target)
    files = read_archive(target)
    assert "facts.json" in files and "cloud.json" not in files
    assert not any(b"## Cloud (AWS)" in data for data in files.values())
    assert PageId.CLOUD in wizard.visitedIds()


def test_profiles_listed_from_the_config_files_names_only(qtbot, make_wizard: MakeWizard, aws_env: dict[str, str],
                                                          config_dir: Path) -> None:
    Path(aws_env["AWS_CONFIG_FILE"]).write_text(
        "[default]\nregion = eu-west-1\n\n[profile analytics]\nregion = us-east-2\n"
        "aws_access_key_id = AKIACONFIGFILEKEY001\naws_secret_access_key = config-file-secret-9\n")
    Path(aws_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        "[ci-reader]\naws_access_key_id = AKIACREDFILEKEY00002\naws_secret_access_key = cred-file-secret-7\n")
    wizard = make_wizard()
    open_the_cloud_step(wizard, RDS_HOST)
    page = wizard.cloud
    qtbot.waitUntil(lambda: len(_profiles(page)) > 1, timeout=20_000)  # listed in a worker
    assert _profiles(page) == ["", "analytics", "ci-reader", "default"]
    fields = page.fields()
    assert isinstance(fields, AwsFields)
    shown = [fields.profile.itemText(i) for i in range(fields.profile.count())] + [fields.profile.toolTip()]
    for secret in ("AKIACONFIGFILEKEY001", "config-file-secret-9", "AKIACREDFILEKEY00002", "cred-file-secret-7"):
        assert not any(secret in text for text in shown)

    # the choice is remembered for this connection (names only) and offered again next time
    fields.profile.setCurrentIndex(fields.profile.findData("analytics"))
    fields.region.setText("us-east-2")
    fields.identifier.setText("shop-db")
    assert page.validatePage()  # Next (not Skip): the collection would read it; no server here to collect from
    assert wizard.state.cloud is not None and wizard.state.cloud.get("profile") == "analytics"
    saved = json.loads((config_dir / "cloud-accounts.json").read_text())
    assert wizard.state.spec is not None
    assert saved == {wizard.state.spec.target: {"provider": "aws", "profile": "analytics", "region": "us-east-2",
                                                 "kind": "instance", "id": "shop-db"}}
    again = Wizard(settings=Settings(config_dir))
    qtbot.addWidget(again)
    again.state.spec = wizard.state.spec
    again.setStartId(PageId.CLOUD)
    again.restart()
    qtbot.waitUntil(lambda: len(_profiles(again.cloud)) > 1, timeout=20_000)
    assert again.cloud.fields().values() == {"profile": "analytics", "region": "us-east-2", "kind": "instance",
                                             "id": "shop-db"}
    again.close()


def test_test_access_runs_in_a_worker_and_names_the_denied_action(qtbot, wizard: Wizard, aws_env: dict[str, str],
                                                                 moto: MotoServer,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = FaultProxy(moto.port, "GetMetricData", "AccessDenied")
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        open_the_cloud_step(wizard, RDS_HOST)
        page = wizard.cloud
        provider = page.provider
        assert provider is not None
        threads = calls_on_the_gui_thread(monkeypatch, provider, "test_access")
        page.test_button.click()
        assert not page.test_button.isEnabled()  # the click returned at once: the calls run in the worker
        qtbot.waitUntil(lambda: page.test_button.isEnabled() and page.access.topLevelItemCount() > 0,
                        timeout=30_000)
        assert threads == [False]
        rows = {row[0]: (row[1], row[2]) for row in tree_rows(page.access)}
        assert rows["instance shop-db"] == ("yes", "rds:DescribeDBInstances")
        assert rows["vCPU and memory of the class"] == ("yes", "ec2:DescribeInstanceTypes")
        assert rows["last month's RDS bill (Cost Explorer)"] == ("yes", "ce:GetCostAndUsage")
        readable, why = rows["CloudWatch metrics"]
        assert readable == "no" and why.startswith("cloudwatch:GetMetricData; not allowed")
        assert why.endswith("(add it: Copy policy)") and "--" not in why  # the page's words, not the CLI's flags
        assert [name for name, (ok, _why) in rows.items() if ok == "no"] == ["CloudWatch metrics"]
        assert "Missing: cloudwatch:GetMetricData" in page.status.text()
        assert proxy.seen["GetMetricData"] >= 1
    finally:
        proxy.close()


def test_copy_policy_puts_exactly_the_policy_on_the_clipboard(qtbot, wizard: Wizard, aws_env: dict[str, str]) -> None:
    open_the_cloud_step(wizard, RDS_HOST)
    clipboard = QApplication.clipboard()
    clipboard.setText("something else")
    wizard.cloud.copy_policy.click()
    assert clipboard.text() == policy_json()
    assert "rds:DescribeDBInstances" in clipboard.text()


def test_cloud_read_with_the_collection_into_cloud_json_and_no_credential_anywhere(
        qtbot, wizard: Wizard, mariadb: MariaDBServer, rds_name: str, aws_env: dict[str, str],
        tmp_path: Path) -> None:
    with wizard_log_handlers():
        log_file = setup_logging()
        to_options(qtbot, wizard, mariadb, rds_name)
        wizard.next()
        page = wizard.cloud
        assert wizard.currentId() == PageId.CLOUD
        page.test_button.click()
        qtbot.waitUntil(lambda: page.test_button.isEnabled() and page.access.topLevelItemCount() > 0,
                        timeout=30_000)
        assert page.status.text() == "Every part can be read."
        wizard.next()
        assert wizard.currentId() == PageId.COLLECT
        qtbot.waitUntil(wizard.collect.isComplete, timeout=90_000)
        document = wizard.state.current_cloud()
        assert document is not None and document["provider"] == "aws"
        assert [(i["id"], i["class"], i["storage"]["allocated_gib"]) for i in document["instances"]] == [
            ("shop-db", "db.r6g.large", 200)]
        shown = wizard.collect.log_pane.toPlainText()
        assert "Cloud account: reading Amazon RDS / Aurora (read-only" in shown
        assert f"Cloud account: cloud: 1 instance(s) read in {REGION}" in shown
        wizard.next()
        assert wizard.currentId() == PageId.FINDINGS  # the step came before Collect: not again
        wizard.next()
        type_a_draft_answer(wizard, "Rails on EC2 (typed so that a draft is written)")
        target = tmp_path / "out" / "with-cloud.tgz"
        save_through(qtbot, wizard, target)
    files = read_archive(target)
    assert files["cloud.json"] == document_text(without_points(document)).encode()  # the CLI's text (no points)
    assert any(b"## Cloud (AWS)" in data for path, data in files.items() if path.startswith("ps_report_"))
    written = file_texts(tmp_path)
    assert log_file in written and any("drafts" in p.parts for p in written)
    accounts = tmp_path / "config" / "cloud-accounts.json"  # the wizard fixture's settings folder
    assert wizard.state.spec is not None
    assert json.loads(written[accounts]) == {wizard.state.spec.target: {
        "provider": "aws", "profile": "", "region": REGION, "kind": "instance", "id": "shop-db"}}
    for name, secret in PLANTED.items():
        assert not any(secret.encode() in data for data in written.values()), f"{name} in a file"
        assert not any(secret.encode() in data for data in files.values()), f"{name} in the archive"


def test_step_after_collect_when_the_server_says_rds(qtbot, wizard: Wizard, mariadb_factory: MariaDBFactory,
                                                     aws_env: dict[str, str], tmp_path: Path) -> None:
    # a real server whose basedir is RDS's: the platform detection says rds (the host name says nothing)
    server = mariadb_factory(extra_options={"basedir": "/rdsdbbin/mysql"})
    page = collect_to_the_cloud_step(qtbot, wizard, server, "rds")
    assert page.why.text().startswith("The server says it runs on Amazon RDS.")
    fields = page.fields()
    assert isinstance(fields, AwsFields)
    assert fields.values() == {"profile": "", "region": "", "kind": "instance", "id": ""}  # nothing to prefill
    wizard.next()  # no identifier, and the host name says none: Next says so and stays
    assert wizard.currentId() == PageId.CLOUD and wizard.state.cloud is None
    assert page.status.text().startswith("The host name does not say which instance this is")
    fields.region.setText(REGION)
    fields.identifier.setText("shop-db")
    wizard.next()  # reads the account in the worker, then goes on by itself
    assert wizard.currentId() == PageId.CLOUD and not page.isComplete()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.FINDINGS, timeout=30_000)
    document = wizard.state.current_cloud()
    assert document is not None and [i["id"] for i in document["instances"]] == ["shop-db"]
    target = tmp_path / "out" / "after.tgz"
    save_through(qtbot, wizard, target)
    assert json.loads(read_archive(target)["cloud.json"])["instances"][0]["class"] == "db.r6g.large"


SIZING = {"format_version": 1, "rows": [
    {"key": "memory", "label": "Memory", "value": "16 GiB", "number": 17179869184, "unit": "bytes",
     "source": "cloud:aws", "detail": "RDS DescribeDBInstances db.r6g.large + EC2 DescribeInstanceTypes",
     "window": None},
    {"key": "cpu", "label": "CPU utilisation", "value": "avg 23 %, p95 61 %, max 88 % (2026-11-30 14:00 UTC)",
     "number": 88, "unit": "percent", "source": "cloud:aws", "detail": "CloudWatch CPUUtilization, hourly",
     "window": "14 days"},
    {"key": "support", "label": "Support wanted", "value": "not measured", "number": None, "unit": None,
     "source": "none", "detail": "the questionnaire's plan.support", "window": None},
]}


def test_review_shows_the_sizing_rows_when_the_facts_have_them(qtbot, wizard: Wizard,
                                                               mariadb: MariaDBServer) -> None:
    result = collected(mariadb)
    assert result.facts["sizing"]["rows"]  # derive() builds the table, SQL-only here
    without = dataclasses.replace(result, facts={k: v for k, v in result.facts.items() if k != "sizing"})
    open_at(wizard, without, PageId.REVIEW)
    page = wizard.review
    qtbot.waitUntil(lambda: page.ready, timeout=30_000)
    assert page.sizing.isHidden() and page.sizing.topLevelItemCount() == 0  # no sizing: nothing shown

    with_sizing = dataclasses.replace(result, facts={**result.facts, "sizing": SIZING})
    open_at(wizard, with_sizing, PageId.REVIEW)
    qtbot.waitUntil(lambda: page.ready, timeout=30_000)
    assert not page.sizing.isHidden()
    assert tree_rows(page.sizing) == [["Memory", "16 GiB", "cloud:aws", ""],
                     ["CPU utilisation", "avg 23 %, p95 61 %, max 88 % (2026-11-30 14:00 UTC)", "cloud:aws",
                      "14 days"],
                     ["Support wanted", "not measured", "none", ""]]
    cpu = page.sizing.topLevelItem(1)
    assert cpu is not None and cpu.toolTip(0) == "CloudWatch CPUUtilization, hourly"



def test_check_access_for_an_aurora_cluster_endpoint(aws_env: dict[str, str], moto: MotoServer) -> None:
    """Qt-free: the cluster from its endpoint, its writer's class and metrics; every part readable."""
    import boto3

    from collectors.aws import CloudOptions, check_access

    rds = boto3.client("rds", region_name=REGION, endpoint_url=moto.url)
    rds.create_db_cluster(DBClusterIdentifier="orders", Engine="aurora-mysql", MasterUsername="admin",
                          MasterUserPassword="moto-master-pw-2")
    rds.create_db_instance(DBInstanceIdentifier="orders-1", DBClusterIdentifier="orders", Engine="aurora-mysql",
                           DBInstanceClass="db.r6g.xlarge")
    items = check_access(CloudOptions(), "orders.cluster-ro-c9akciq32.eu-west-1.rds.amazonaws.com")
    assert [(i["part"], i["iam_action"], i["ok"]) for i in items] == [
        ("cluster orders", "rds:DescribeDBClusters", True),
        ("instance orders-1", "rds:DescribeDBInstances", True),
        ("DB parameter group", "rds:DescribeDBParameters", True),
        ("vCPU and memory of the class", "ec2:DescribeInstanceTypes", True),
        ("CloudWatch metrics", "cloudwatch:GetMetricData", True),
        ("last month's RDS bill (Cost Explorer)", "ce:GetCostAndUsage", True)]


def test_check_access_without_credentials_is_one_line(aws_env: dict[str, str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from collectors.aws import CloudOptions, check_access

    for name in PLANTED:
        monkeypatch.delenv(name)
    items = check_access(CloudOptions(), RDS_HOST)
    assert items == [{"part": "aws", "iam_action": None, "ok": False,
                      "reason": "no AWS credentials found: give --aws-profile, set AWS_PROFILE or the "
                                "AWS_ACCESS_KEY_ID variables, or run aws sso login"}]


def test_mnemonics_are_unique_and_leave_the_wizard_buttons_alone(wizard: Wizard, aws_env: dict[str, str]) -> None:
    from gui.qt import QLabel, QPushButton

    open_the_cloud_step(wizard, RDS_HOST)
    page = wizard.cloud
    texts = [w.text() for w in page.findChildren(QPushButton)] + [w.text() for w in page.findChildren(QLabel)]
    letters = [t.replace("&&", "")[t.replace("&&", "").index("&") + 1].lower() for t in texts
               if "&" in t.replace("&&", "")]
    assert sorted(letters) == sorted(set(letters)) and len(letters) == 7  # Provider too
    assert not set(letters) & set("bnfu")  # Back, Next, Finish, About
    labels = [w for w in page.findChildren(QLabel) if "&" in w.text()]
    assert labels and all(label.buddy() is not None for label in labels)


def test_a_kept_server_keeps_its_own_cloud_json(mariadb: MariaDBServer, aws_env: dict[str, str]) -> None:
    """Add another server: the first server's cloud.json goes into its folder, the second (skipped) has none."""
    from collectors.aws import CloudOptions, collect_cloud
    from gui.pages.cloud import store_read
    from gui.state import CloudChoice, WizardState
    from gui.submission import prepare, snapshot
    from prechecks.collection import timestamp_now

    first = collected(mariadb)
    document = collect_cloud(CloudOptions(), RDS_HOST)
    state = WizardState(timestamp=timestamp_now())
    state.result, state.readiness = first, first.readiness
    choice = CloudChoice("aws", (("id", "shop-db"), ("kind", "instance"), ("profile", ""), ("region", REGION)),
                         RDS_HOST)
    state.cloud = choice
    store_read(state, choice, document)
    kept = state.keep_current()
    assert kept.cloud is document and state.current_cloud() is None
    second = dataclasses.replace(first)  # another run (the step skipped for it)
    state.result, state.readiness = second, second.readiness
    files = prepare(snapshot(state)).files
    clouds = sorted(path for path in files if path.endswith("cloud.json"))
    assert clouds == [f"{kept.name}/cloud.json"]
    assert files[clouds[0]] == document_text(without_points(document)).encode()


def test_back_from_findings_and_another_instance_reads_again_without_collecting_again(
        qtbot, wizard: Wizard, mariadb: MariaDBServer, rds_name: str, aws_env: dict[str, str]) -> None:
    to_options(qtbot, wizard, mariadb, rds_name)
    wizard.next()
    wizard.next()  # the Cloud account step as prefilled: read with the collection
    qtbot.waitUntil(wizard.collect.isComplete, timeout=90_000)
    wizard.next()
    assert wizard.currentId() == PageId.FINDINGS
    result = wizard.state.result
    read = wizard.state.current_cloud()
    assert read is not None and [i["id"] for i in read["instances"]] == ["shop-db"]
    wizard.back()
    wizard.back()
    assert wizard.currentId() == PageId.CLOUD
    wizard.cloud.fields().set_values({"profile": "", "region": REGION, "kind": "instance", "id": "shop-db-gone"})
    wizard.next()  # the run is kept: the account is read here, then on to Findings
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.FINDINGS, timeout=30_000)
    assert wizard.state.result is result  # not collected again
    again = wizard.state.current_cloud()
    assert again is not None and again is not read and again["instances"] == []
    assert [s["part"] for s in again["skipped"]] == ["instances"]
    assert "DBInstanceNotFound" in again["skipped"][0]["reason"]
