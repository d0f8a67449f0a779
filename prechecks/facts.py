"""facts.json as typed structures: the one definition the live run and ``--read-samples`` both fill.

``docs/facts.md`` describes the same document for people. A key whose collector did not run is absent,
never filled with a guess (``collection.collectors`` says why): every section is ``total=False`` except
where its producer always writes every key. Mappings whose keys are the server's own names (variables,
status counters, schemas, plugins) are ``dict[str, X]``; every other level has a closed set of keys.

``check_facts(document)`` walks these annotations and returns each path whose value does not match: a
wrong type, a key the definition does not have, a required key missing. The tests run it on real runs
and on the sample folders, so a collector that writes a new key must declare it here first.

No ``from __future__ import annotations`` in this module: Python 3.11's TypedDict does not see
``Required``/``NotRequired`` inside a string annotation, and every key would count as required.
"""

import types
import typing
from typing import Any, Literal, NotRequired, Required, TypedDict, get_args, get_origin

Via = Literal["tcp", "socket", "ssh", "read-samples"]
TlsMode = Literal["disabled", "preferred", "required", "verify_ca", "verify_identity"]
Flavor = Literal["mysql", "mariadb", "percona", "percona-xtradb-cluster", "galera", "aurora", "tidb", "vitess"]
# "galera" is a flavor only in facts written before clustering was its own fact (server.clustering)
Clustering = Literal["galera", "group_replication"]
Platform = Literal["self-managed", "rds", "aurora", "cloudsql", "azure", "digitalocean", "vitess", "planetscale",
                   "tidb-cloud"]
ReplicationRole = Literal["standalone", "primary", "replica", "replica+primary"]
CollectorStatus = Literal["ok", "skipped", "failed"]
FingerprintMethod = Literal["sqlglot", "fallback", "withheld", "admin"]
BinlogClientKind = Literal["replica", "cdc", "unknown"]


class Tool(TypedDict):
    name: str
    version: str


class Source(TypedDict, total=False):
    """Where we connected (never a password). Through SSH, host/port are the server as the bastion sees it."""

    host: str | None
    port: int | None
    socket: str | None
    user: str
    via: Required[Via]
    tls_mode: TlsMode
    ssh_host: str
    ssh_port: int
    ssh_user: str
    path: str  # --read-samples: the samples directory or tarball, as given (its name)
    tool: str  # --read-samples: which tool wrote the capture (ps-prechecks, its bash script, pt-mysql-summary)
    captured_at: str | None  # --read-samples: the server's clock when the capture was taken (pt-summary-internal-now)
    captured_time_zone: str | None  # --read-samples: that clock's time zone (time_zone, else system_time_zone)
    hostname: str | None  # --read-samples: the server's hostname variable
    unreadable: list[str]  # --read-samples: files there but not usable ("<file> unreadable at line N (why)")


class Server(TypedDict, total=False):
    version: str
    version_comment: str
    version_tuple: list[int]
    flavor: Flavor
    flavor_evidence: list[str]
    clustering: Clustering | None  # None: neither Galera (wsrep) nor Group Replication configured
    clustering_evidence: list[str]
    platform: Platform
    platform_evidence: list[str]
    hostname: str
    port: int | None
    datadir: str
    basedir: str
    compile_os: str
    compile_machine: str
    current_user: str
    utc_time: str
    local_time: str
    time_zone: str
    uptime_seconds: int | None
    started_at: str
    started_local: str  # --read-samples: the start on the server's clock, to the minute (pt's current_time)


class StatusSamples(TypedDict, total=False):
    first: dict[str, str]
    second: dict[str, str]
    interval_seconds: float | None  # None: --read-samples without a second sample


class SchemaSummary(TypedDict):
    name: str
    tables: int
    views: int
    routines: int | None  # None: not visible to the account
    triggers: int | None
    events: int | None
    data_bytes: int | None  # None: --read-samples without a table-sizes file (sizes not known)
    index_bytes: int | None
    engines: dict[str, int]


class Table(TypedDict, total=False):
    schema: Required[str]
    name: Required[str]
    engine: str
    rows: int | None
    data_bytes: int | None
    index_bytes: int
    row_format: str
    create_options: str
    collation: str
    # added by the inventory collector
    charset: str | None
    columns: int
    partition_method: str | None
    subpartition_method: str | None
    primary_key: list[str] | None
    unique_key: str | None
    float_primary_key: list[str]


class ProcesslistGroup(TypedDict):
    value: str
    count: int
    working: int
    time_sum: int
    time_max: int


class ProcesslistGroups(TypedDict):
    command: list[ProcesslistGroup]
    user: list[ProcesslistGroup]
    host: list[ProcesslistGroup]
    db: list[ProcesslistGroup]
    state: list[ProcesslistGroup]


class Processlist(TypedDict):
    total: int
    groups: ProcesslistGroups
    binlog_dump_threads: NotRequired[int]
    excludes_own_connection: NotRequired[bool]


class ReplicationSource(TypedDict):
    channel: str
    source_host: str
    source_port: int | None
    io_running: str
    sql_running: str
    seconds_behind: int | None
    using_gtid: str | None
    last_error: str


class ReplicaHost(TypedDict):
    server_id: int | None
    host: str
    port: int | None


class ReplicationStatements(TypedDict, total=False):
    replica_status: str
    replicas: str


class Replication(TypedDict):
    role: ReplicationRole
    is_replica: bool
    sources: list[ReplicationSource]
    replica_count: int | None  # None: could not be seen
    replicas: list[ReplicaHost] | None
    binlog_dump_threads: int | None
    statements: ReplicationStatements


class BinlogFile(TypedDict):
    name: str
    size: int


class BinlogCurrent(TypedDict):
    file: str
    position: int
    gtid_executed: str


class Binlog(TypedDict, total=False):
    enabled: bool | None
    format: str | None
    row_image: str | None
    gtid_mode: str | None
    enforce_gtid_consistency: str | None
    expire_seconds: int | None
    files: list[BinlogFile] | None  # None: the list needs REPLICATION CLIENT
    total_bytes: int | None
    current: BinlogCurrent | None
    gtid_binlog_pos: str | None  # MariaDB
    status_statement: str


class Technology(TypedDict):
    value: bool | None  # None: could not be determined (evidence says why)
    evidence: str


class TechnologyObjects(TypedDict):
    partitioning: list[str]
    compression: list[str]


class StatementDigest(TypedDict):
    digest_text: str
    schema: str | None
    count: int
    total_seconds: float
    avg_seconds: float
    max_seconds: NotRequired[float]  # MAX_TIMER_WAIT (absent in older facts)
    rows_examined: int
    rows_sent: int
    first_seen: str | None
    last_seen: str | None
    truncated: bool


class DigestsOverflow(TypedDict):
    count: int
    since: str | None


class WorkloadClients(TypedDict):
    sessions: int
    programs: dict[str, int]
    drivers: dict[str, int]
    driver_versions: dict[str, dict[str, int]]


class MigrationTable(TypedDict):
    table: str
    tool: str


class BinlogClient(TypedDict):
    kind: BinlogClientKind
    tool: str | None
    host: str
    count: int


class OpenTransactions(TypedDict):
    open: int  # InnoDB transactions open when the collector looked (information_schema.INNODB_TRX)
    oldest_seconds: int | None  # None: none open


class Workload(TypedDict, total=False):
    uptime_seconds: int | None
    queries_total: int | None
    qps_average_since_start: float
    qps_sampled: float | None
    sampled_interval_seconds: float
    rows_read_total: int | None
    rows_written_total: int | None
    rows_basis: str
    rows_read_per_day: float
    rows_written_per_day: float
    digests: list[StatementDigest]
    notable_digests: list[StatementDigest]  # beyond the top: statements PlanetScale rejects or limits
    digests_status: str
    digests_overflow: DigestsOverflow | None
    digest_rows: int | None  # rows of the digest table in use when it was read (before the schema walk)
    clients: WorkloadClients
    migration_tables: list[MigrationTable]
    binlog_clients: list[BinlogClient]
    transactions: OpenTransactions


class Provenance(TypedDict):
    """Where a derived figure comes from (prechecks.derive): its source and the seconds it covers."""

    source: str
    window_seconds: float | None


class SizingRow(TypedDict):
    """One row of the sizing and pricing inputs table (prechecks.sizing; docs/facts.md "sizing")."""

    key: str  # memory, compute, cpu, storage_allocated, ... support (prechecks.sizing.ROW_KEYS, in that order)
    label: str
    value: str  # what a DBA reads: "32 GiB (db.r6g.xlarge)", "avg 23 %, p95 61 %, max 88 % (... UTC)"
    number: float | None  # the headline figure, in ``unit``; None when there is none
    unit: str | None  # bytes, vcpu, percent, per_second, count, bytes_per_day, bytes_per_second
    source: str  # cloud:aws|gcp|azure, history:<source>, sql, none
    detail: str  # where exactly (the API call or metric, the statement), or what would measure it
    window: str | None  # "14 days", "10 s", "since start-up (3 days)"; None for a static fact


class Sizing(TypedDict):
    format_version: Literal[1]
    rows: list[SizingRow]


class SchemaDdl(TypedDict):
    objects: int
    bytes: int
    cut: str | None
    unreadable: NotRequired[dict[str, int]]  # kind -> objects the account could not read (live runs)


class ConfigFile(TypedDict, total=False):
    path: Required[str]
    found_by: str
    local_evidence: str
    redacted: list[str]  # "section.option" names whose value was removed


class Accounts(TypedDict, total=False):
    total: Required[int]
    without_password: int
    wildcard_host: int
    locked: int | None  # None: the server cannot say
    require_tls: int
    internal: int
    roles: int | None
    plugins: dict[str, int]
    source: str


class EncryptionAtRest(TypedDict, total=False):
    # MariaDB's variables
    innodb_encrypt_tables: str
    innodb_encryption_threads: str
    innodb_encrypt_log: str
    innodb_encrypt_temporary_tables: str
    encrypt_binlog: str
    encrypt_tmp_files: str
    encrypt_tmp_disk_tables: str
    aria_encrypt_tables: str
    key_management_plugins: list[str]
    # MySQL's variables
    default_table_encryption: str
    innodb_redo_log_encrypt: str
    innodb_undo_log_encrypt: str
    binlog_encryption: str
    table_encryption_privilege_check: str
    innodb_sys_tablespace_encrypt: str
    keyring_plugins: list[str]
    encrypted_tables: int | None
    encrypted_tables_source: str


class Security(TypedDict, total=False):
    tls_available: bool | None
    tls_evidence: str
    ssl_accepts: int | None
    this_session_tls: str | None
    tls_in_use: bool | None
    tls_in_use_basis: str
    require_secure_transport: str | None
    encryption_at_rest: EncryptionAtRest
    audit_plugins: list[str]


class Plugin(TypedDict):
    name: str
    status: str
    type: str
    library: str | None


class InnodbStatus(TypedDict, total=False):
    per_second_window_seconds: int | None
    deadlocks_seen: bool
    latest_deadlock_at: str | None
    foreign_key_errors_seen: bool
    trx_id_counter: int | None
    history_list_length: int | None
    transactions: int
    transactions_active: int
    transactions_lock_wait: int
    pending_aio_reads: int | None
    pending_aio_writes: int | None
    pending_fsyncs: int | None
    log_sequence_number: int | None
    log_flushed_up_to: int | None
    last_checkpoint: int | None
    checkpoint_age: int | None
    max_checkpoint_age: int | None
    buffer_pool_pages: int | None
    buffer_pool_free_pages: int | None
    buffer_pool_database_pages: int | None
    buffer_pool_modified_pages: int | None
    pending_reads: int | None
    pending_writes: int | None
    buffer_pool_hit_rate: float | None
    queries_inside: int | None
    queries_in_queue: int | None
    read_views_open: int | None
    rw_transactions_active: int | None


class Routine(TypedDict):
    name: str
    type: str


class Trigger(TypedDict):
    name: str
    table: str


class ForeignKey(TypedDict):
    name: str
    table: str
    columns: list[str]
    references: str
    on_delete: str
    on_update: str
    referenced_columns: NotRequired[list[str]]  # in the order of columns (absent in older facts)


class NamedCharset(TypedDict):
    name: str
    charset: str


class WideTable(TypedDict):
    name: str
    columns: int


class MariadbFeature(TypedDict):
    name: str  # schema.table or schema.table.column
    feature: str  # sequence | system-versioned table | collation <name> | JSON (LONGTEXT) | INET4 | INET6 | UUID


class Objects(TypedDict):
    """Dotted names as the server spells them, unquoted."""

    views: list[str]
    routines: list[Routine]
    triggers: list[Trigger]
    events: NotRequired[list[str]]  # absent from a mysqldump sample without --events (inventory.not_checked says why)
    foreign_keys: list[ForeignKey]
    check_constraints: list[str]
    generated_columns: list[str]
    non_ascii_identifiers: list[str]
    unsupported_charset_columns: list[NamedCharset]
    unsupported_charset_tables: list[NamedCharset]
    wide_tables: list[WideTable]
    user_defined_functions: NotRequired[list[str]]  # absent from --read-samples: a dump holds no mysql.func rows
    mariadb_features: NotRequired[list[MariadbFeature]]  # absent in facts written before it was read
    # absent when not read (older facts; inventory.not_checked says why)
    duplicate_enum_values: NotRequired[list[str]]  # ENUM/SET columns repeating a value under their collation
    broken_views: NotRequired[list[str]]  # views the server reports error 1356 for


class Visibility(TypedDict):
    complete: bool | None  # None: could not tell (role-based grants)
    missing_privilege: str | None


class ObjectVisibility(TypedDict):
    triggers: Visibility
    events: Visibility
    routines: Visibility
    user_defined_functions: Visibility


class SchemaTypes(TypedDict):
    column_types: dict[str, int]
    index_types: dict[str, int]
    json_columns: int
    spatial_columns: int
    fulltext_indexes: int


class FailedSchema(TypedDict):
    name: str
    reason: str


class Inventory(TypedDict):
    cut: str | None
    failed_schemas: list[FailedSchema]
    not_checked: NotRequired[dict[str, str]]  # objects key -> why that list was not read
    source: NotRequired[str]  # --read-samples: "mysqldump sample" (read from the DDL, not information_schema)


class SlowLogDigestEntry(TypedDict):
    id: str
    fingerprint: str
    method: FingerprintMethod
    truncated: bool
    count: int
    total_seconds: float
    avg_seconds: float
    max_seconds: float
    lock_total_seconds: float
    lock_avg_seconds: float
    rows_examined: int
    rows_examined_avg: float
    rows_examined_max: int
    rows_sent: int
    rows_sent_avg: float
    first_seen: str | None
    last_seen: str | None
    schemas: list[str]


class SlowLogOther(TypedDict):
    statements: int
    total_seconds: float


class SlowLogDigest(TypedDict, total=False):
    """collectors.slowlog.SlowLogDigest.as_fact(); only status and read when the source was not read."""

    status: Required[str]
    read: Required[bool]
    statements: int
    fingerprints: int
    unparsed: int
    fallback: int
    corrupt_entries: int
    other: SlowLogOther
    max_fingerprints: int
    total_seconds: float
    first_seen: str | None
    last_seen: str | None
    top: int
    digests: list[SlowLogDigestEntry]


class SlowLogTable(SlowLogDigest, total=False):
    rows_read: int
    row_limit: int
    newest_first: bool
    notes: list[str]


class SlowLogFile(TypedDict):
    name: str
    bytes: int
    entries: int
    statements: int
    unparsed: int
    corrupt_entries: int
    error: NotRequired[str]


class SlowLogFiles(SlowLogDigest, total=False):
    files: list[SlowLogFile]


class SlowLog(TypedDict, total=False):
    table: SlowLogTable
    files: SlowLogFiles


HistoryUnit = Literal["per_second", "count", "percent", "bytes", "bytes_per_second"]


class HistoryWindow(TypedDict):
    start: str  # ISO-8601 UTC, "2026-11-22T00:00:00Z"
    end: str
    step_seconds: float


class HistorySeries(TypedDict):
    """One series' figures over the window (history.json also has its ``points``; facts.json does not)."""

    unit: HistoryUnit
    avg: float
    p95: float
    p99: float
    max: float
    max_at: str


class BusiestHourOfWeek(TypedDict):
    day: str
    hour: int
    avg: float | None


class WeeklyProfile(TypedDict):
    series: str
    timezone: Literal["UTC"]
    by_hour: list[float | None]  # 24 averages, hour 0 first
    by_weekday: list[float | None]  # 7 averages, Monday first
    busiest_hour: int
    busiest_day: str
    busiest_hour_of_week: BusiestHourOfWeek


class HistoryMissing(TypedDict):
    series: str
    reason: str


class HistoryGap(TypedDict):
    start: str
    end: str
    seconds: int


class History(TypedDict):
    """history.json without the points (prechecks.derive.history_fact): days of load from one source."""

    format_version: Literal[1]
    source: str  # "prometheus", "watch", "cloudwatch", ...
    window: HistoryWindow
    series: dict[str, HistorySeries]
    weekly_profile: WeeklyProfile | None
    missing: list[HistoryMissing]
    gaps: list[HistoryGap]
    resets: int


class CollectorRecord(TypedDict):
    name: str
    status: CollectorStatus
    reason: str
    seconds: float
    statements: int
    remedy: NotRequired[str]  # the GRANT that would let it run


class Collection(TypedDict, total=False):
    collectors: Required[list[CollectorRecord]]
    started_at: str | None  # None: --read-samples
    finished_at: str | None
    error: None  # --read-samples only
    statement_timeout_seconds: float
    safety_notes: list[str]
    notes: list[str]  # what a common password means for the redaction


class Facts(TypedDict, total=False):
    """The whole facts.json document (format_version 1)."""

    format_version: Required[Literal[1]]
    tool: Tool
    collected_at: str
    source: Source
    server: Server
    variables: dict[str, str]
    variables_redacted: list[str]
    status: StatusSamples
    databases: list[str]
    schemas: list[SchemaSummary]
    tables: list[Table]
    processlist: Processlist
    replication: Replication
    binlog: Binlog
    technologies: dict[str, Technology]
    technology_objects: TechnologyObjects
    workload: Workload
    provenance: dict[str, Provenance]  # derived figure ("workload.qps_sampled") -> its source and window
    schema_ddl: SchemaDdl
    config_file: ConfigFile
    accounts: Accounts
    security: Security
    plugins: list[Plugin]
    innodb_status: InnodbStatus
    objects: Objects
    object_visibility: ObjectVisibility
    schema_types: dict[str, SchemaTypes]
    inventory: Inventory
    slow_log: SlowLog
    history: History  # days of load (--prometheus, watch mode, cloud metrics): history.json without the points
    rds_configuration: dict[str, str | None]
    cloud: dict[str, Any]  # the cloud.json document derive() was given (docs/facts.md "cloud.json")
    sizing: Sizing  # the sizing and pricing inputs (prechecks.sizing, built by prechecks.derive)
    collection: Required[Collection]


# ---------------------------------------------------------------------------- the conformance checker


def check_facts(document: object) -> list[str]:
    """Every path of ``document`` that does not match ``Facts``, with what was expected; [] when it conforms.

    Strict: an unknown key at a level whose keys are closed is an error, and so is a missing required key.
    ``int`` is accepted where ``float`` is declared (as in typing's numeric tower: ``round(0, 3)`` is an int);
    ``bool`` is never taken for a number.
    """
    return _check(document, Facts, "facts")


def _check(value: object, expected: Any, path: str) -> list[str]:
    origin = get_origin(expected)
    if expected is Any:
        return []
    if typing.is_typeddict(expected):
        return _check_typeddict(value, expected, path)
    if origin is Literal:
        allowed = get_args(expected)
        if any(type(value) is type(a) and value == a for a in allowed):
            return []
        return [f"{path}: {value!r} is not one of {', '.join(repr(a) for a in allowed)}"]
    if origin is typing.Union or origin is types.UnionType:
        return _check_union(value, expected, path)
    if origin is list:
        if not isinstance(value, list):
            return [_mismatch(path, expected, value)]
        (item,) = get_args(expected)
        return [e for i, v in enumerate(value) for e in _check(v, item, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [_mismatch(path, expected, value)]
        key_type, item = get_args(expected)
        errors = []
        for k, v in value.items():
            if not isinstance(k, key_type):
                errors.append(f"{path}: key {k!r} is not a {_name(key_type)}")
                continue
            errors.extend(_check(v, item, f"{path}.{k}"))
        return errors
    if _is_instance(value, expected):
        return []
    return [_mismatch(path, expected, value)]


def _is_instance(value: object, expected: Any) -> bool:
    if expected is None or expected is type(None):
        return value is None
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is str:
        return isinstance(value, str)
    raise TypeError(f"check_facts cannot check the type {expected!r}")


def _check_union(value: object, expected: Any, path: str) -> list[str]:
    arms = get_args(expected)
    results = [_check(value, arm, path) for arm in arms]
    if any(not r for r in results):
        return []
    # one arm is of the value's own kind (a dict for a TypedDict, a list for a list): its findings say more
    same_kind = [r for arm, r in zip(arms, results, strict=True) if _same_kind(value, arm)]
    if len(same_kind) == 1:
        return same_kind[0]
    return [_mismatch(path, expected, value)]


def _same_kind(value: object, arm: Any) -> bool:
    if typing.is_typeddict(arm) or get_origin(arm) is dict:
        return isinstance(value, dict)
    if get_origin(arm) is list:
        return isinstance(value, list)
    return False


def _check_typeddict(value: object, expected: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [_mismatch(path, expected, value)]
    hints = field_types(expected)
    required: frozenset[str] = expected.__required_keys__
    errors = [f"{path}.{key}: missing (required in {expected.__name__})"
              for key in sorted(required) if key not in value]
    for key, item in value.items():
        if key not in hints:
            errors.append(f"{path}.{key}: not a key of {expected.__name__} (declare it in prechecks/facts.py"
                          " and docs/facts.md)")
            continue
        errors.extend(_check(item, hints[key], f"{path}.{key}"))
    return errors


def field_types(typed_dict: Any) -> dict[str, Any]:
    """A facts TypedDict's keys -> their types, Required/NotRequired taken off (see ``__required_keys__``)."""
    hints = typing.get_type_hints(typed_dict, include_extras=True)
    out = {}
    for key, hint in hints.items():
        while get_origin(hint) in (Required, NotRequired, typing.Annotated):
            hint = get_args(hint)[0]
        out[key] = hint
    return out


def _name(expected: Any) -> str:
    if expected is None or expected is type(None):
        return "None"
    if typing.is_typeddict(expected):
        return f"an object ({expected.__name__})"
    origin = get_origin(expected)
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(_name(a) for a in get_args(expected))
    if origin is list:
        return f"list[{_name(get_args(expected)[0])}]"
    if origin is dict:
        return f"dict[str, {_name(get_args(expected)[1])}]"
    if origin is Literal:
        return " or ".join(repr(a) for a in get_args(expected))
    return getattr(expected, "__name__", repr(expected))


def _mismatch(path: str, expected: Any, value: object) -> str:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{path}: expected {_name(expected)}, got {type(value).__name__} {shown}"
