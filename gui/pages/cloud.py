"""The optional *Cloud account* step: the managed database's size, storage and two weeks of load read from the cloud
account (read-only), written to the archive as cloud.json.

Shown only when the endpoint or the platform detection says the server is a managed one (Amazon RDS / Aurora
today): after Options when the host name says so, after Collect when only the server's own answers do. Skipping is
one click. The provider is a parameter: a :class:`CloudProvider` holds everything provider-specific (when it
applies, its fields, Test access, the read, the policy text); GCP and Azure are further providers in
:data:`PROVIDERS`. Credentials stay with the provider's SDK and its own files: the step holds names only (profile,
region, instance), never shows a key and never stores one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from collectors.runner import ProgressEvent, RunAborted
from gui.pages.base import Page, log, wrapped_label
from gui.qt import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QGuiApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from gui.settings import Settings
from gui.state import CloudChoice, PageId, WizardState
from gui.worker import Task

Fields = dict[str, str]


class ProviderFields(QWidget):
    """A provider's own widgets: filled from what the endpoint says or what was remembered, read as names."""

    def values(self) -> Fields:
        raise NotImplementedError

    def set_values(self, values: Mapping[str, str]) -> None:
        raise NotImplementedError


class CloudProvider:
    """Everything provider-specific of the step. ``test_access`` and ``read`` run in a worker thread."""

    key = ""
    name = ""  # what the DBA reads: "Amazon RDS / Aurora"
    settings_names: tuple[str, ...] = ()  # the fields remembered per connection (names, never a credential)
    policy_button = "Cop&y policy"

    def applies(self, host: str | None, platform: str | None) -> str:
        """Why the step is offered for this server ("" when it is not)."""
        raise NotImplementedError

    def make_fields(self) -> ProviderFields:
        raise NotImplementedError

    def prefill(self, host: str | None) -> Fields:
        """The fields as the endpoint names them."""
        raise NotImplementedError

    def names(self) -> list[str]:
        """The accounts (profiles) to choose from; read in a worker thread."""
        return []

    def problem(self, choice: CloudChoice) -> str:
        """What is missing before the account can be read ("" when nothing): said on the page, Next waits."""
        raise NotImplementedError

    def test_access(self, choice: CloudChoice) -> list[dict[str, Any]]:
        raise NotImplementedError

    def read(self, choice: CloudChoice, clock: Callable[[], float]) -> dict[str, Any]:
        raise NotImplementedError

    def one_line(self, document: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def policy_text(self) -> str:
        raise NotImplementedError


# -- Amazon RDS / Aurora --------------------------------------------------------------------------------------------
DEFAULT_PROFILE = ""  # the AWS SDK's own chain: AWS_PROFILE, the environment's keys, the SSO cache, an instance role


class AwsFields(ProviderFields):
    def __init__(self) -> None:
        super().__init__()
        form = QFormLayout(self)
        self.profile = QComboBox()
        self.profile.setAccessibleName("AWS profile")
        self.profile.setToolTip("Profiles from ~/.aws/config and ~/.aws/credentials (AWS_CONFIG_FILE and "
                                "AWS_SHARED_CREDENTIALS_FILE when set). Names only: keys stay in those files.")
        self.profile.addItem("(default: AWS_PROFILE, environment, SSO or instance role)", DEFAULT_PROFILE)
        form.addRow("AWS &profile:", self.profile)
        self.region = QLineEdit()
        self.region.setAccessibleName("AWS region")
        self.region.setPlaceholderText("eu-west-1")
        form.addRow("&Region:", self.region)
        row = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.setAccessibleName("Instance or cluster")
        self.kind.addItem("DB instance", "instance")
        self.kind.addItem("Aurora cluster", "cluster")
        row.addWidget(self.kind)
        self.identifier = QLineEdit()
        self.identifier.setAccessibleName("Instance or cluster identifier")
        self.identifier.setPlaceholderText("from the endpoint")
        row.addWidget(self.identifier, 1)
        label = QLabel("&Instance:")
        label.setBuddy(self.identifier)
        form.addRow(label, row)

    def set_profiles(self, names: list[str]) -> None:
        chosen = self.profile.currentData()
        while self.profile.count() > 1:
            self.profile.removeItem(1)
        for name in names:
            self.profile.addItem(name, name)
        self._choose_profile(chosen)

    def _choose_profile(self, name: str) -> None:
        index = self.profile.findData(name)
        if index < 0 and name:  # remembered, not (yet) in the files: kept as given
            self.profile.addItem(name, name)
            index = self.profile.count() - 1
        self.profile.setCurrentIndex(max(index, 0))

    def values(self) -> Fields:
        return {"profile": str(self.profile.currentData() or ""), "region": self.region.text().strip(),
                "kind": str(self.kind.currentData()), "id": self.identifier.text().strip()}

    def set_values(self, values: Mapping[str, str]) -> None:
        self._choose_profile(values.get("profile", ""))
        self.region.setText(values.get("region", ""))
        self.kind.setCurrentIndex(max(self.kind.findData(values.get("kind") or "instance"), 0))
        self.identifier.setText(values.get("id", ""))


class AwsProvider(CloudProvider):
    key = "aws"
    name = "Amazon RDS / Aurora"
    settings_names = ("profile", "region", "kind", "id")

    def applies(self, host: str | None, platform: str | None) -> str:
        from collectors.aws import parse_endpoint

        if parse_endpoint(host) is not None:
            return f"{host} is an Amazon RDS/Aurora endpoint."
        if platform in ("rds", "aurora"):
            return f"The server says it runs on Amazon {'Aurora' if platform == 'aurora' else 'RDS'}."
        return ""

    def make_fields(self) -> AwsFields:
        return AwsFields()

    def prefill(self, host: str | None) -> Fields:
        from collectors.aws import parse_endpoint

        endpoint = parse_endpoint(host)
        if endpoint is None:
            return {"profile": DEFAULT_PROFILE, "region": "", "kind": "instance", "id": ""}
        kind = "instance" if endpoint.kind == "instance" else "cluster"
        # a custom endpoint names neither: its cluster is looked up (DescribeDBClusterEndpoints)
        identifier = "" if endpoint.kind == "cluster-custom" else endpoint.name
        return {"profile": DEFAULT_PROFILE, "region": endpoint.region, "kind": kind, "id": identifier}

    def names(self) -> list[str]:
        """Profile names as botocore parses the config and credentials files; never a key."""
        import boto3
        from botocore.exceptions import BotoCoreError

        try:
            return sorted(boto3.session.Session().available_profiles)
        except BotoCoreError as exc:
            log.warning("cloud: the AWS profiles could not be read: %s", type(exc).__name__)
            return []

    def problem(self, choice: CloudChoice) -> str:
        from collectors.aws import parse_endpoint

        if not choice.get("id") and parse_endpoint(choice.host) is None:
            return ("The host name does not say which instance this is: give the DB instance or Aurora cluster "
                    "identifier (RDS console, Databases), or skip this step.")
        return ""

    @staticmethod
    def options(choice: CloudChoice) -> Any:
        from collectors.aws import CloudOptions

        identifier = choice.get("id") or None
        cluster = choice.get("kind") == "cluster"
        return CloudOptions(profile=choice.get("profile") or None, region=choice.get("region") or None,
                            db_instance=None if cluster else identifier, db_cluster=identifier if cluster else None)

    def test_access(self, choice: CloudChoice) -> list[dict[str, Any]]:
        from collectors.aws import check_access

        return check_access(self.options(choice), choice.host)

    def read(self, choice: CloudChoice, clock: Callable[[], float]) -> dict[str, Any]:
        from collectors.aws import collect_cloud

        return collect_cloud(self.options(choice), choice.host, clock=clock)

    def one_line(self, document: Mapping[str, Any]) -> str:
        from collectors.cloudcommon import one_line

        return one_line(document)

    def policy_text(self) -> str:
        from collectors.aws import policy_json

        return policy_json()


PROVIDERS: dict[str, CloudProvider] = {p.key: p for p in (AwsProvider(),)}


def offered(host: str | None, platform: str | None) -> tuple[CloudProvider, str] | None:
    """The provider whose step this server gets, and why; None: no step (a self-managed server)."""
    for provider in PROVIDERS.values():
        why = provider.applies(host, platform)
        if why:
            return provider, why
    return None


def platform_of(state: WizardState) -> str | None:
    server = state.result.facts.get("server") if state.result is not None else None
    platform = server.get("platform") if isinstance(server, Mapping) else None
    return platform if isinstance(platform, str) else None


def read_cloud(choice: CloudChoice, task: Task) -> dict[str, Any]:
    """The cloud part of the collection, in the worker after the SQL part: a progress line before and after.
    Cancel ends it before its next call (the budget clock runs out at once) and the run ends as cancelled."""
    provider = PROVIDERS[choice.provider]

    def line(message: str) -> None:
        task.emit_progress(ProgressEvent("log", "cloud", "Cloud account", 0, 1, 1.0, None, message))

    if task.cancel_token.cancelled:
        raise RunAborted("cancelled by the user", cancelled=True)
    line(f"reading {provider.name} (read-only; Skip on the Cloud account step leaves it out)")
    document = provider.read(choice, lambda: math.inf if task.cancel_token.cancelled else time.monotonic())
    if task.cancel_token.cancelled:
        raise RunAborted("cancelled by the user", cancelled=True)
    summary = provider.one_line(document)
    line(summary)
    log.info("%s", summary)
    return document


def store_read(state: WizardState, choice: CloudChoice | None, document: dict[str, Any] | None) -> None:
    """On the GUI thread: the document read for the current run (None: the step was skipped)."""
    state.cloud_document = document
    state.cloud_for = (choice, id(state.result)) if document is not None else None


class CloudPage(Page):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.setTitle("Cloud account (optional)")
        self.setSubTitle("The instance's size, storage and two weeks of load, read from the cloud account "
                         "(read-only). Skip to use only what SQL can see.")
        self.provider: CloudProvider | None = None
        self._fields: dict[str, ProviderFields] = {}  # one set of widgets per provider, made when first needed
        self._filled_for: tuple[str, str] | None = None  # (connection, provider) the fields were filled for
        self._skipping = False
        self._testing: Task | None = None
        self._reading: Task | None = None
        self._listing: Task | None = None

        layout = QVBoxLayout(self)
        self.why = wrapped_label()
        self.why.setAccessibleName("Why this step is shown")
        layout.addWidget(self.why)
        self.box = QGroupBox()
        self.box_layout = QVBoxLayout(self.box)
        layout.addWidget(self.box)
        note = wrapped_label("Credentials come from the cloud SDK's own files and environment: this step never "
                             "shows, stores or archives a key. Only Describe/Get/List calls are made.")
        layout.addWidget(note)
        buttons = QHBoxLayout()
        self.test_button = QPushButton("&Test access")
        self.test_button.setToolTip("One small read-only call per part: lists what can and cannot be read")
        self.test_button.clicked.connect(self.test_access)
        buttons.addWidget(self.test_button)
        self.copy_policy = QPushButton(CloudProvider.policy_button)
        self.copy_policy.setToolTip("The minimal read-only policy the cloud part needs, for the account's admin")
        self.copy_policy.clicked.connect(self._copy_policy)
        buttons.addWidget(self.copy_policy)
        buttons.addStretch(1)
        self.skip_button = QPushButton("S&kip this step")
        self.skip_button.setToolTip("Go on without the cloud account: no cloud.json in the archive")
        self.skip_button.clicked.connect(self.skip)
        buttons.addWidget(self.skip_button)
        layout.addLayout(buttons)
        self.status = wrapped_label(selectable=True)
        self.status.setAccessibleName("Cloud access status")
        layout.addWidget(self.status)
        self.access = QTreeWidget()
        self.access.setColumnCount(3)
        self.access.setHeaderLabels(["Part", "Readable", "IAM action / why not"])
        self.access.setRootIsDecorated(False)
        self.access.setAccessibleName("What the cloud account can read")
        header = self.access.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.access, 1)

    # -- which provider, which fields ------------------------------------------------------------------------
    def fields(self) -> ProviderFields:
        assert self.provider is not None
        return self._fields[self.provider.key]

    def _use_provider(self, provider: CloudProvider) -> None:
        """The provider's own widgets in the box (the others hidden): the only provider-specific part of the page."""
        if provider.key not in self._fields:
            self._fields[provider.key] = provider.make_fields()
            self.box_layout.addWidget(self._fields[provider.key])
        for key, widget in self._fields.items():
            widget.setVisible(key == provider.key)
        self.provider = provider
        self.box.setTitle(provider.name)
        self.copy_policy.setText(provider.policy_button)

    def connection_key(self) -> str:
        spec = self.state.spec
        return spec.target if spec is not None else ""

    def initializePage(self) -> None:
        state = self.state
        host = state.spec.host if state.spec is not None else None
        found = offered(host, platform_of(state))
        if found is None:  # routed here only when offered; said plainly all the same
            self.why.setText("This server is not on a managed cloud database: nothing to read. Skip this step.")
            return
        provider, why = found
        self._use_provider(provider)
        when = "now" if self.collected() else "after the SQL part of the collection"
        self.why.setText(why + " Reading the account adds the instance's real size, storage and load to the "
                         f"archive (cloud.json) and the sizing table. Next reads it {when}; Skip leaves it out.")
        key = (self.connection_key(), provider.key)
        if self._filled_for != key:  # Back and Next keep what was typed; another server gets its own
            self._filled_for = key
            remembered = self.settings.cloud_account(key[0])
            values = remembered if remembered.get("provider") == provider.key else provider.prefill(host)
            self.fields().set_values(values)
            self.access.clear()
            self.status.clear()
        self._list_names(provider)

    def _list_names(self, provider: CloudProvider) -> None:
        if self._listing is not None:
            return

        def listed(names: list[str]) -> None:
            self._listing = None
            widget = self._fields.get(provider.key)
            if isinstance(widget, AwsFields):
                widget.set_profiles(names)

        def failed(exc: BaseException) -> None:
            self._listing = None
            log.warning("cloud: the profiles could not be listed: %s", type(exc).__name__)

        self._listing = self.tasks.run_in_background(lambda _task: provider.names(), success=listed, failure=failed)

    def current_choice(self) -> CloudChoice:
        assert self.provider is not None
        host = self.state.spec.host if self.state.spec is not None else None
        return CloudChoice(self.provider.key, tuple(sorted(self.fields().values().items())), host)

    # -- buttons ------------------------------------------------------------------------------------------------
    def _copy_policy(self) -> None:
        if self.provider is not None:
            QGuiApplication.clipboard().setText(self.provider.policy_text())
            self.status.setText("The policy is on the clipboard: give it to the account's administrator.")

    def test_access(self) -> None:
        if self.provider is None or self._testing is not None:
            return
        provider, choice = self.provider, self.current_choice()
        self.test_button.setEnabled(False)
        self.access.clear()
        self.status.setText(f"Testing access to {provider.name}…")

        def done(items: list[dict[str, Any]]) -> None:
            self._testing = None
            self.test_button.setEnabled(True)
            self.show_access(items)

        def failed(exc: BaseException) -> None:
            self._testing = None
            self.test_button.setEnabled(True)
            self.status.setText(f"Test access failed: {type(exc).__name__}: {exc}")
            log.warning("cloud: test access failed: %s", type(exc).__name__)

        self._testing = self.tasks.run_in_background(lambda _task: provider.test_access(choice), success=done,
                                                     failure=failed)

    def show_access(self, items: list[dict[str, Any]]) -> None:
        self.access.clear()
        for entry in items:
            ok = bool(entry.get("ok"))
            action = str(entry.get("iam_action") or "")
            why = action if ok else "; ".join(t for t in (action, str(entry.get("reason") or "")) if t)
            row = QTreeWidgetItem([str(entry.get("part")), "yes" if ok else "no", why])
            row.setToolTip(2, why)
            self.access.addTopLevelItem(row)
        denied = [e for e in items if not e.get("ok")]
        if not items:
            self.status.setText("Nothing was tested.")
        elif not denied:
            self.status.setText("Every part can be read.")
        else:
            actions = sorted({str(e["iam_action"]) for e in denied if e.get("iam_action")})
            fix = f" Missing: {', '.join(actions)} (Copy policy has them all)." if actions else ""
            self.status.setText(f"{len(denied)} of {len(items)} part(s) cannot be read; the others will be.{fix}")
        log.info("cloud: test access: %d part(s), %d not readable", len(items), len(denied))

    def skip(self) -> None:
        """One click: on without the cloud account (no cloud.json)."""
        self._skipping = True
        try:
            self.host.next()
        finally:
            self._skipping = False

    # -- Next -------------------------------------------------------------------------------------------------
    def collected(self) -> bool:
        """The current run is collected already (the step comes after Collect): Next reads the account here."""
        state = self.state
        return state.result is not None and state.result_for == state.run_key()

    def isComplete(self) -> bool:
        return self._reading is None

    def validatePage(self) -> bool:
        state = self.state
        if self._skipping or self.provider is None:
            state.cloud = None
            store_read(state, None, None)
            log.info("cloud: the Cloud account step was skipped")
            return True
        choice = self.current_choice()
        problem = self.provider.problem(choice)
        if problem:
            self.status.setText(problem)
            return False
        state.cloud = choice
        values = dict(choice.fields)
        self.settings.remember_cloud_account(self.connection_key(), choice.provider, values,
                                             self.provider.settings_names)
        if not self.collected() or state.current_cloud() is not None:
            return True  # the collection reads it after the SQL part (or it was read for this choice already)
        self._read_now(choice)
        return False

    def _read_now(self, choice: CloudChoice) -> None:
        """After Collect: the cloud part in the worker, with its progress line here; then on by itself."""
        state = self.state
        result = state.result
        self.status.setText(f"Reading {PROVIDERS[choice.provider].name} (read-only)…")
        self.skip_button.setEnabled(False)

        def done(document: dict[str, Any]) -> None:
            self._reading = None
            self.skip_button.setEnabled(True)
            self.completeChanged.emit()
            if state.result is not result or state.cloud != choice:
                return  # another run or choice since
            store_read(state, choice, document)
            self.status.setText(PROVIDERS[choice.provider].one_line(document))
            if self.host.currentPage() is self:
                self.host.next()

        def failed(exc: BaseException) -> None:
            self._reading = None
            self.skip_button.setEnabled(True)
            self.completeChanged.emit()
            cancelled = isinstance(exc, RunAborted) and exc.cancelled
            self.status.setText("Cancelled." if cancelled else f"The cloud account could not be read: "
                                f"{type(exc).__name__}: {exc}. Try again, or skip this step.")

        self._reading = self.tasks.run_in_background(lambda task: read_cloud(choice, task), success=done,
                                                     failure=failed)
        self.completeChanged.emit()

    def cleanupPage(self) -> None:  # Back: a read in flight is cancelled (its document is dropped)
        if self._reading is not None:
            self._reading.cancel()


def route(state: WizardState, current: int, visited: list[int]) -> int | None:
    """Where Next goes around the Cloud account step (gui/wizard.py's nextId); None: the usual next page."""
    host = state.spec.host if state.spec is not None else None
    if current == PageId.OPTIONS:
        return int(PageId.CLOUD) if offered(host, None) is not None else None
    if current == PageId.COLLECT:  # only the server's answers say managed: the step comes now
        shown = PageId.CLOUD in visited or offered(host, platform_of(state)) is None
        return None if shown else int(PageId.CLOUD)
    if current == PageId.CLOUD:
        collected = state.result is not None and state.result_for == state.run_key()
        return int(PageId.FINDINGS if collected else PageId.COLLECT)
    return None
