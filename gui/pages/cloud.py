"""The optional *Cloud account* step: the managed database's size, storage and two weeks of load read from the cloud
account (read-only), written to the archive as cloud.json.

Shown only when the endpoint or the platform detection says the server is a managed one (Amazon RDS / Aurora,
Google Cloud SQL, Azure Database for MySQL flexible server): after Options when the host name says so, after
Collect when only the server's own answers do. Skipping is one click. The provider is a parameter: a
:class:`CloudProvider` holds everything provider-specific (when it applies, its fields, Test access, the read,
the policy text), one per cloud in :data:`PROVIDERS`; the page's Provider choice starts at the one the endpoint
or the server names (or the one chosen last time for this connection) and lets the DBA pick another.
Credentials stay with the provider's SDK and its own files: the step holds names only (profile, region,
instance, a key file's path), never shows a key and never stores one. No SDK is imported before the step calls
its cloud (Test access, List instances, the read).
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from collectors.runner import ProgressEvent, RunAborted
from gui.pages.base import Page, log, wrapped_label
from gui.qt import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QGuiApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from gui.settings import Settings
from gui.state import CloudChoice, PageId, WizardState
from gui.worker import Task

Fields = dict[str, str]


# the collectors' remedies name command-line flags; on this page the same remedy is a field or a button
_WIZARD_WORDS = (
    ("ps-prechecks --aws-policy", "Copy policy"), ("ps-prechecks --gcp-policy", "Copy policy"),
    ("ps-prechecks --azure-policy", "Copy policy"),
    ("--aws-db-instance or --aws-db-cluster", "the instance or cluster"), ("--aws-db-instance", "the instance"),
    ("--aws-db-cluster", "the cluster"), ("--aws-region", "the region"), ("--aws-profile", "a profile"),
    ("--gcp-instance", "the instance"), ("--gcp-credentials", "a key file"),
    ("--azure-subscription", "the subscription"), ("--azure-resource-group", "the resource group"),
    ("--azure-server", "the server"), ("--no-cloud", "Skip"),
)


def wizard_words(text: str) -> str:
    """A collector's reason with its command-line flags said as this page's fields and buttons."""
    for flag, words in _WIZARD_WORDS:
        text = text.replace(flag, words)
    return text


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
    access_header = "IAM action / why not"  # the Test access list's third column

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
        """What was read, or the first reason it was not, in the page's words (not the command line's)."""
        from collectors.cloudcommon import one_line

        return wizard_words(one_line(document))

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

    def policy_text(self) -> str:
        from collectors.aws import policy_json

        return policy_json()


# -- Google Cloud SQL ------------------------------------------------------------------------------------------------
ADC = "adc"  # Application Default Credentials (gcloud auth application-default login, GOOGLE_APPLICATION_CREDENTIALS)
KEY_FILE = "file"  # a service account key file: its path is remembered, never its content


def cloudsql_region(host: str | None) -> str | None:
    """The region of a Cloud SQL DNS name (``…<region>.sql.goog``, the names Cloud SQL gives its instances for
    Private Service Connect and DNS-based connections); "" for a Cloud SQL name without one; None: not Cloud SQL."""
    name = (host or "").strip().lower().rstrip(".")
    if not name.endswith(".sql.goog"):
        return None
    labels = name.removesuffix(".sql.goog").split(".")
    region = labels[-1] if len(labels) > 1 else ""
    return region if re.fullmatch(r"[a-z]+-[a-z]+\d+", region) else ""


class GcpFields(ProviderFields):
    def __init__(self) -> None:
        super().__init__()
        form = QFormLayout(self)
        self.project = QLineEdit()
        self.project.setAccessibleName("Google Cloud project ID")
        self.project.setPlaceholderText("shop-prod")
        form.addRow("Pro&ject:", self.project)
        self.region = QLineEdit()
        self.region.setAccessibleName("Cloud SQL region")
        self.region.setPlaceholderText("europe-west1")
        form.addRow("&Region:", self.region)
        row = QHBoxLayout()
        self.instance = QComboBox()
        self.instance.setEditable(True)
        self.instance.setAccessibleName("Cloud SQL instance")
        self.instance.setToolTip("The instance's name, or its whole connection name PROJECT:REGION:INSTANCE "
                                 "(Cloud SQL console, Overview). List instances offers the project's.")
        line = self.instance.lineEdit()
        if line is not None:
            line.setPlaceholderText("name, or PROJECT:REGION:INSTANCE")
        self.instance.activated.connect(self._picked)
        row.addWidget(self.instance, 1)
        self.list_button = QPushButton("&List instances")
        self.list_button.setToolTip("The project's Cloud SQL instances (instances.list, read-only)")
        row.addWidget(self.list_button)
        label = QLabel("&Instance:")
        label.setBuddy(self.instance)
        form.addRow(label, row)
        self.credentials = QComboBox()
        self.credentials.setAccessibleName("Google credentials")
        self.credentials.addItem("Application Default Credentials (gcloud auth application-default login)", ADC)
        self.credentials.addItem("A service account key file", KEY_FILE)
        self.credentials.currentIndexChanged.connect(self._credentials_changed)
        form.addRow("Cre&dentials:", self.credentials)
        key_row = QHBoxLayout()
        self.key_file = QLineEdit()
        self.key_file.setAccessibleName("Service account key file")
        self.key_file.setToolTip("The key's path is remembered, never its content; nothing of it is archived.")
        key_row.addWidget(self.key_file, 1)
        self.browse = QPushButton("Bro&wse…")
        self.browse.clicked.connect(self.choose_key_file)
        key_row.addWidget(self.browse)
        key_label = QLabel("Key fil&e:")
        key_label.setBuddy(self.key_file)
        form.addRow(key_label, key_row)
        self._credentials_changed()

    def _credentials_changed(self) -> None:
        uses_file = self.credentials.currentData() == KEY_FILE
        self.key_file.setEnabled(uses_file)
        self.browse.setEnabled(uses_file)

    def choose_key_file(self) -> None:
        start = os.path.dirname(self.key_file.text().strip()) or os.path.expanduser("~")
        path, _filter = QFileDialog.getOpenFileName(self, "Service account key file", start,
                                                    "Key files (*.json);;All files (*)")
        if path:
            self.key_file.setText(path)
            self.credentials.setCurrentIndex(self.credentials.findData(KEY_FILE))

    def set_instances(self, found: list[dict[str, Any]]) -> None:
        """The instances List instances found: name shown, connection name and region kept with each."""
        typed = self.instance.currentText()
        self.instance.clear()
        for entry in found:
            name = str(entry.get("name") or "")
            if not name:
                continue
            tier = entry.get("tier") or "?"
            self.instance.addItem(name, {"connection_name": entry.get("connection_name"),
                                         "region": entry.get("region")})
            self.instance.setItemData(self.instance.count() - 1,
                                      f"{entry.get('connection_name')} ({tier}, {entry.get('database_version')})",
                                      Qt.ItemDataRole.ToolTipRole)
        index = self.instance.findText(typed)
        if index >= 0:
            self.instance.setCurrentIndex(index)
            self._picked(index)
        else:
            self.instance.setEditText(typed)

    def _picked(self, index: int) -> None:
        data = self.instance.itemData(index)
        if isinstance(data, dict) and data.get("region"):
            self.region.setText(str(data["region"]))

    def instances(self) -> list[str]:
        return [self.instance.itemText(i) for i in range(self.instance.count())]

    def values(self) -> Fields:
        from collectors.gcp import parse_connection_name

        project, region, instance = self.project.text().strip(), self.region.text().strip(), \
            self.instance.currentText().strip()
        named = parse_connection_name(instance)
        if named is not None:  # a whole connection name pasted: it says all three
            project, region, instance = named.project, named.region, named.instance
        return {"project": project, "region": region, "instance": instance,
                "credentials": str(self.credentials.currentData() or ADC), "key_file": self.key_file.text().strip()}

    def set_values(self, values: Mapping[str, str]) -> None:
        self.project.setText(values.get("project", ""))
        self.region.setText(values.get("region", ""))
        self.instance.clear()
        self.instance.setEditText(values.get("instance", ""))
        self.credentials.setCurrentIndex(max(self.credentials.findData(values.get("credentials") or ADC), 0))
        self.key_file.setText(values.get("key_file", ""))


class GcpProvider(CloudProvider):
    key = "gcp"
    name = "Google Cloud SQL"
    settings_names = ("project", "region", "instance", "credentials", "key_file")
    access_header = "Role / why not"

    def applies(self, host: str | None, platform: str | None) -> str:
        if cloudsql_region(host) is not None:
            return f"{host} is a Google Cloud SQL address."
        if platform == "cloudsql":
            return "The server says it runs on Google Cloud SQL."
        return ""

    def make_fields(self) -> GcpFields:
        return GcpFields()

    def prefill(self, host: str | None) -> Fields:
        return {"project": "", "region": cloudsql_region(host) or "", "instance": "", "credentials": ADC,
                "key_file": ""}

    @staticmethod
    def connection_name(choice: CloudChoice) -> str | None:
        parts = (choice.get("project"), choice.get("region"), choice.get("instance"))
        return ":".join(parts) if all(parts) else None

    def problem(self, choice: CloudChoice) -> str:
        if self.connection_name(choice) is None:
            return ("Give the instance's project, region and name (or paste its connection name "
                    "PROJECT:REGION:INSTANCE from the Cloud SQL console's Overview; List instances offers the "
                    "project's), or skip this step.")
        if choice.get("credentials") == KEY_FILE and not choice.get("key_file"):
            return "Choose the service account key file (Browse), or use Application Default Credentials."
        return ""

    def options(self, choice: CloudChoice) -> Any:
        from collectors.gcp import GcpOptions

        key = choice.get("key_file") if choice.get("credentials") == KEY_FILE else ""
        return GcpOptions(instance=self.connection_name(choice), credentials=key or None)

    def list_instances(self, choice: CloudChoice) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The project's instances and the skips; in a worker thread."""
        from collectors.gcp import list_instances

        return list_instances(self.options(choice), choice.get("project"))

    def test_access(self, choice: CloudChoice) -> list[dict[str, Any]]:
        from collectors.gcp import check_access

        return check_access(self.options(choice), choice.get("project") or None)

    def read(self, choice: CloudChoice, clock: Callable[[], float]) -> dict[str, Any]:
        from collectors.gcp import collect_cloud

        return collect_cloud(self.options(choice), clock=clock)

    def policy_text(self) -> str:
        from collectors.gcp import policy_text

        return policy_text()


# -- Azure Database for MySQL flexible server ---------------------------------------------------------------------
class AzureFields(ProviderFields):
    def __init__(self) -> None:
        super().__init__()
        form = QFormLayout(self)
        self.server = QLineEdit()
        self.server.setAccessibleName("Flexible server name")
        self.server.setPlaceholderText("NAME of NAME.mysql.database.azure.com")
        form.addRow("&Server:", self.server)
        self.subscription = QLineEdit()
        self.subscription.setAccessibleName("Azure subscription ID")
        self.subscription.setPlaceholderText("AZURE_SUBSCRIPTION_ID when empty")
        self.subscription.setToolTip("The server's subscription ID (Azure portal, the server's Overview)")
        form.addRow("Subs&cription:", self.subscription)
        self.group = QLineEdit()
        self.group.setAccessibleName("Resource group")
        self.group.setPlaceholderText("found by listing the subscription's servers when empty")
        form.addRow("Resource &group:", self.group)

    def values(self) -> Fields:
        return {"server": self.server.text().strip().lower(), "subscription": self.subscription.text().strip(),
                "group": self.group.text().strip()}

    def set_values(self, values: Mapping[str, str]) -> None:
        self.server.setText(values.get("server", ""))
        self.subscription.setText(values.get("subscription", ""))
        self.group.setText(values.get("group", ""))


class AzureProvider(CloudProvider):
    key = "azure"
    name = "Azure Database for MySQL (flexible server)"
    settings_names = ("server", "subscription", "group")
    access_header = "Role / why not"

    def applies(self, host: str | None, platform: str | None) -> str:
        from collectors.azure import parse_host

        if parse_host(host) is not None:
            return f"{host} is an Azure Database for MySQL flexible server endpoint."
        if platform == "azure":
            return "The server says it runs on Azure Database for MySQL."
        return ""

    def make_fields(self) -> AzureFields:
        return AzureFields()

    def prefill(self, host: str | None) -> Fields:
        from collectors.azure import parse_host

        return {"server": parse_host(host) or "", "subscription": "", "group": ""}

    def problem(self, choice: CloudChoice) -> str:
        if not choice.get("server"):
            return ("Give the flexible server's name (NAME of NAME.mysql.database.azure.com, Azure portal), or skip "
                    "this step.")
        if not choice.get("subscription") and not os.environ.get("AZURE_SUBSCRIPTION_ID"):
            return "Give the subscription ID (Azure portal, the server's Overview), or skip this step."
        return ""

    @staticmethod
    def options(choice: CloudChoice) -> Any:
        from collectors.azure import AzureOptions

        return AzureOptions(server=choice.get("server") or None, subscription=choice.get("subscription") or None,
                            resource_group=choice.get("group") or None)

    def test_access(self, choice: CloudChoice) -> list[dict[str, Any]]:
        from collectors.azure import check_access

        return check_access(self.options(choice), choice.host)

    def read(self, choice: CloudChoice, clock: Callable[[], float]) -> dict[str, Any]:
        from collectors.azure import collect_cloud

        return collect_cloud(self.options(choice), choice.host, clock=clock)

    def policy_text(self) -> str:
        from collectors.azure import policy_json

        return policy_json()


PROVIDERS: dict[str, CloudProvider] = {p.key: p for p in (AwsProvider(), GcpProvider(), AzureProvider())}


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
        self._filled_for: dict[str, str] = {}  # provider -> the connection its fields were filled for
        self._shown_for: str | None = None  # the connection the provider was chosen for
        self._skipping = False
        self._testing: Task | None = None
        self._reading: Task | None = None
        self._listing: Task | None = None
        self._picking: Task | None = None

        layout = QVBoxLayout(self)
        self.why = wrapped_label()
        self.why.setAccessibleName("Why this step is shown")
        layout.addWidget(self.why)
        choose = QFormLayout()
        self.provider_choice = QComboBox()
        self.provider_choice.setAccessibleName("Cloud provider")
        self.provider_choice.setToolTip("Starts at the cloud the endpoint or the server names; pick another when "
                                        "that is wrong (a proxy's address says nothing)")
        for provider in PROVIDERS.values():
            self.provider_choice.addItem(provider.name, provider.key)
        self.provider_choice.currentIndexChanged.connect(self._provider_chosen)
        choose.addRow("Pro&vider:", self.provider_choice)
        layout.addLayout(choose)
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
            widget = provider.make_fields()
            self._fields[provider.key] = widget
            self.box_layout.addWidget(widget)
            if isinstance(widget, GcpFields):
                widget.list_button.clicked.connect(self.list_instances)
        for key, shown in self._fields.items():
            shown.setVisible(key == provider.key)
        self.provider = provider
        self.box.setTitle(provider.name)
        self.copy_policy.setText(provider.policy_button)
        self.access.setHeaderLabels(["Part", "Readable", provider.access_header])
        self.provider_choice.blockSignals(True)
        self.provider_choice.setCurrentIndex(max(self.provider_choice.findData(provider.key), 0))
        self.provider_choice.blockSignals(False)
        host = self.state.spec.host if self.state.spec is not None else None
        connection = self.connection_key()
        if self._filled_for.get(provider.key) != connection:  # Back and Next keep what was typed; another
            self._filled_for[provider.key] = connection      # server gets its own
            remembered = self.settings.cloud_account(connection)
            values = remembered if remembered.get("provider") == provider.key else provider.prefill(host)
            self.fields().set_values(values)
            self.access.clear()
            self.status.clear()
        self._list_names(provider)

    def _provider_chosen(self, index: int) -> None:
        """The DBA picked another cloud in the Provider choice."""
        provider = PROVIDERS.get(str(self.provider_choice.itemData(index)))
        if provider is not None and provider is not self.provider:
            self._use_provider(provider)
            self.access.clear()
            self.status.clear()

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
        when = "now" if self.collected() else "after the SQL part of the collection"
        self.why.setText(why + " Reading the account adds the instance's real size, storage and load to the "
                         f"archive (cloud.json) and the sizing table. Next reads it {when}; Skip leaves it out.")
        connection = self.connection_key()
        if self._shown_for != connection or self.provider is None:  # Back and Next keep the DBA's pick
            self._shown_for = connection
            remembered = PROVIDERS.get(self.settings.cloud_account(connection).get("provider", ""))
            provider = remembered or provider  # the cloud chosen last time for this connection, if any
        else:
            provider = self.provider
        self._use_provider(provider)

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
            fields = self._fields.get(provider.key)
            groups = [str(e["resource_group"]) for e in items if e.get("resource_group")]
            if isinstance(fields, AzureFields) and groups and not fields.group.text().strip():
                fields.group.setText(groups[0])  # found by listing the subscription's servers

        def failed(exc: BaseException) -> None:
            self._testing = None
            self.test_button.setEnabled(True)
            self.status.setText(f"Test access failed: {type(exc).__name__}: {exc}")
            log.warning("cloud: test access failed: %s", type(exc).__name__)

        self._testing = self.tasks.run_in_background(lambda _task: provider.test_access(choice), success=done,
                                                     failure=failed)

    def list_instances(self) -> None:
        """List instances (Google): the project's Cloud SQL instances, read in the worker, offered in the picker."""
        provider = self.provider
        if not isinstance(provider, GcpProvider) or self._picking is not None:
            return
        fields = self.fields()
        assert isinstance(fields, GcpFields)
        choice = self.current_choice()
        project = choice.get("project")
        if not project:
            self.status.setText("Give the project ID first (Google Cloud console, the project picker): List "
                                "instances lists that project's.")
            return
        fields.list_button.setEnabled(False)
        self.status.setText(f"Listing the Cloud SQL instances of {project}…")

        def listed(answer: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
            self._picking = None
            fields.list_button.setEnabled(True)
            found, skipped = answer
            fields.set_instances(found)
            if skipped:
                first = skipped[0]
                role = f" [{first['iam_action']}]" if first.get("iam_action") else ""
                self.status.setText(f"The instances of {project} could not be listed: {first['reason']}{role}")
            elif not found:
                self.status.setText(f"{project} has no Cloud SQL instance: check the project ID.")
            else:
                self.status.setText(f"{len(found)} Cloud SQL instance(s) in {project}: pick one under Instance.")
            log.info("cloud: %d Cloud SQL instance(s) listed, %d skip(s)", len(found), len(skipped))

        def failed(exc: BaseException) -> None:
            self._picking = None
            fields.list_button.setEnabled(True)
            self.status.setText(f"The instances could not be listed: {type(exc).__name__}: {exc}")
            log.warning("cloud: listing the instances failed: %s", type(exc).__name__)

        self._picking = self.tasks.run_in_background(lambda _task: provider.list_instances(choice), success=listed,
                                                     failure=failed)

    def show_access(self, items: list[dict[str, Any]]) -> None:
        self.access.clear()
        for entry in items:
            ok = bool(entry.get("ok"))
            action = str(entry.get("iam_action") or "")
            why = action if ok else "; ".join(t for t in (action, wizard_words(str(entry.get("reason") or ""))) if t)
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
