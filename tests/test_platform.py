"""server.flavor / server.platform and their evidence: stand-in profiles, real MariaDB (and Galera)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest

from collectors.connection import ConnectionSpec, open_session
from collectors.runner import Runner
from collectors.server import DATABASES, STATUS, VARIABLES, identify
from tests.helpers import spec_for
from tests.standin.mysql8 import MySQLStandIn
from tests.standin.profiles import get_profile


def server_facts(spec: ConnectionSpec) -> dict[str, Any]:
    with open_session(spec) as session:
        result = Runner(session, [STATUS, VARIABLES, DATABASES], {}).run()
    assert all(r.status == "ok" for r in result.results), [(r.name, r.reason) for r in result.results]
    server: dict[str, Any] = result.facts["server"]
    return server


def standin_server(standin: MySQLStandIn) -> dict[str, Any]:
    return server_facts(ConnectionSpec(host=standin.host, port=standin.port, user=standin.user,
                                       password=standin.password))


@pytest.mark.mysql8
@pytest.mark.parametrize(("name", "platform", "flavor", "evidence"), [
    ("aurora-mysql-3", "aurora", "aurora", "aurora_version = 3.05.2"),
    ("rds-mysql-8.0", "rds", "mysql", "basedir = /rdsdbbin/mysql-8.0.35.R2/"),
    ("cloudsql-mysql-8.0", "cloudsql", "mysql", "version = 8.0.31-google"),
    ("azure-mysql-8.0", "azure", "mysql", "variable aad_auth_only present"),
    ("digitalocean-mysql-8", "digitalocean", "mysql", "heuristic: port = 25060"),
    ("tidb-7.5", "self-managed", "tidb", "no hosting platform's variables found"),
    ("vitess-19", "vitess", "vitess", "version = 8.0.34-Vitess"),
    ("pxc-8.0", "self-managed", "percona-xtradb-cluster", "no hosting platform's variables found"),
    ("mysql-wsrep-8.0", "self-managed", "mysql", "no hosting platform's variables found"),
    ("percona-8.0.32", "self-managed", "percona", "no hosting platform's variables found"),
    ("mysql-8.4", "self-managed", "mysql", "no hosting platform's variables found"),
])  # fmt: skip
def test_platform_and_flavor_from_sql(mysql_standin, name: str, platform: str, flavor: str, evidence: str) -> None:
    standin = mysql_standin(name)
    server = standin_server(standin)
    assert (server["platform"], server["flavor"]) == (platform, flavor)
    assert any(e.startswith(evidence) for e in server["platform_evidence"]), server["platform_evidence"]
    assert server["flavor_evidence"] and all(isinstance(e, str) and e for e in server["flavor_evidence"])
    assert standin.unknown == []


@pytest.mark.mysql8
def test_digitalocean_is_a_stated_heuristic_that_uses_the_database_list(mysql_standin) -> None:
    server = standin_server(mysql_standin("digitalocean-mysql-8"))
    evidence = server["platform_evidence"]
    assert all(e.startswith("heuristic: ") for e in evidence)
    assert any("defaultdb" in e for e in evidence)  # refined once SHOW DATABASES was read
    # the port alone is not enough
    profile = get_profile("digitalocean-mysql-8")
    profile.variables["sql_require_primary_key"] = "OFF"
    profile.databases.remove("defaultdb")
    assert standin_server(mysql_standin(profile))["platform"] == "self-managed"


@pytest.mark.mysql8
def test_pxc_evidence_names_the_cluster_markers(mysql_standin) -> None:
    server = standin_server(mysql_standin("pxc-8.0"))
    assert "pxc_strict_mode = ENFORCING" in server["flavor_evidence"]
    assert any(e.startswith("version_comment = Percona XtraDB Cluster") for e in server["flavor_evidence"])


@pytest.mark.mysql8
def test_vitess_sidecar_schema_marks_a_tablet_mysqld(mysql_standin) -> None:
    profile = get_profile("mysql-8.4")
    profile.databases = sorted([*profile.databases, "_vt"])
    server = standin_server(mysql_standin(profile))
    assert server["platform"] == "vitess" and server["flavor"] == "mysql"
    assert server["platform_evidence"] == ["schema _vt exists"]


def test_host_names_only_speak_when_sql_is_silent() -> None:
    vitess = {"version": "8.0.34-Vitess"}
    found = identify("8.0.34-Vitess", "", vitess, None, "aws.connect.psdb.cloud")
    assert found["platform"] == "planetscale" and found["flavor"] == "vitess"
    assert found["platform_evidence"][-1] == "connection host name ends with .psdb.cloud"
    found = identify("8.0.35", "MySQL Community Server - GPL", {}, ["defaultdb"], "db-x.b.db.ondigitalocean.com")
    assert found["platform"] == "digitalocean"
    # SQL evidence wins over the host name
    rds = {"basedir": "/rdsdbbin/mysql-8.0.35.R2/"}
    assert identify("8.0.35", "", rds, None, "db-x.b.db.ondigitalocean.com")["platform"] == "rds"


def test_galera_is_clustering_and_the_flavor_stays_whose_server_it_is() -> None:
    variables = {"wsrep_on": "ON", "wsrep_provider": "none"}
    found = identify("10.11.6-MariaDB", "", variables)
    assert (found["flavor"], found["clustering"], found["clustering_evidence"]) == ("mariadb", None, [])
    variables["wsrep_provider"] = "/usr/lib/galera/libgalera_smm.so"
    found = identify("10.11.6-MariaDB", "", variables)
    assert (found["flavor"], found["clustering"]) == ("mariadb", "galera")
    assert found["clustering_evidence"] == ["wsrep_on = ON", "wsrep_provider set"]
    # MySQL-wsrep is MySQL (a MySQL verdict, GTID rules and all), clustered with Galera
    found = identify("8.0.35", "MySQL Community Server - GPL, wsrep_26.1.4.3", variables)
    assert (found["flavor"], found["clustering"]) == ("mysql", "galera")
    group = identify("8.0.35", "MySQL Community Server - GPL",
                     {"group_replication_group_name": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"})
    assert (group["flavor"], group["clustering"]) == ("mysql", "group_replication")
    assert group["clustering_evidence"] == ["group_replication_group_name = aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]


def test_plain_mariadb_is_self_managed(mariadb) -> None:
    server = server_facts(spec_for(mariadb))
    assert (server["flavor"], server["platform"], server["clustering"]) == ("mariadb", "self-managed", None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _galera_ready(server: Any) -> bool:
    rows = server.admin("SHOW GLOBAL STATUS LIKE 'wsrep_ready'")
    return bool(rows) and str(rows[0][1]).upper() == "ON"


def test_mariadb_galera_node_is_mariadb_clustered_with_galera(mariadb_factory) -> None:
    """A real one-node Galera cluster (MariaDB's wsrep provider, bootstrapped with gcomm://)."""
    provider = "/usr/lib/galera/libgalera_smm.so"
    if not Path(provider).exists():
        pytest.skip(f"{provider} not installed (apt: galera-4)")
    server = mariadb_factory(extra_options={
        "wsrep_on": "ON", "wsrep_provider": provider, "wsrep_cluster_address": "gcomm://",
        "wsrep_node_address": "127.0.0.1", "wsrep_cluster_name": "psm_test", "innodb_autoinc_lock_mode": "2",
        "wsrep_provider_options": f"gmcast.listen_addr=tcp://127.0.0.1:{_free_port()};gcache.size=16M",
    })  # fmt: skip
    deadline = time.monotonic() + 60  # the node accepts connections before it accepts queries (errno 1047)
    while not _galera_ready(server):
        assert time.monotonic() < deadline, "the Galera node did not become ready within 60 s"
        time.sleep(0.2)
    server_info = server_facts(spec_for(server))
    assert (server_info["flavor"], server_info["clustering"]) == ("mariadb", "galera")
    assert server_info["clustering_evidence"] == ["wsrep_on = ON", "wsrep_provider set"]
    assert server_info["platform"] == "self-managed"
