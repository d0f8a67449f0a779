"""Days of load from a Prometheus-compatible store (Prometheus, PMM, VictoriaMetrics, Thanos, Mimir) into history.json.

Read-only HTTP GETs of the ``/api/v1/query`` and ``/api/v1/query_range`` APIs, standard library only:

* what is read: ``mysqld_exporter``'s ``mysql_global_status_*`` series of one instance (``--prometheus-match``),
  and ``node_exporter``'s CPU, memory and disk series of the same host when the store has them. A metric the
  store does not have is named in ``missing``, never guessed;
* counters are fetched raw (the value at each step) and turned into rates by
  :func:`collectors.series.counter_rates`, not by PromQL's ``rate()``: ``rate()`` extrapolates to the window's
  edges (a planted 500/s reads 503.2/s) and hides where a restart or a hole was; here each step's rate is the
  counter's exact change over the step, and an interval with a restart or a hole gives no rate and is named.
  A restart the raw values cannot show (the counter climbed past its old value within one step) is found by
  ``resets(counter[step])``, which Prometheus computes from every scraped sample;
* one step for the whole window, the smallest of a few round values that keeps each series at most
  :data:`MAX_POINTS` points (the API refuses more than 11,000);
* credentials from the environment (``PS_PRECHECKS_PROMETHEUS_TOKEN``: a bearer token;
  ``PS_PRECHECKS_PROMETHEUS_BASIC_AUTH``: ``user:password``) or the system keychain (service ``ps-prechecks``,
  entry ``prometheus <URL>``), never the command line; they are sent only to the URL's own host (not on a
  redirect) and never written to the archive or a log. TLS is verified (the system's CAs, or ``ca_file``);
* every request has a timeout and the whole read a budget; each failure is one line with the remedy
  (:class:`PrometheusError`).
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from collectors.series import counter_rates, history_document

__all__ = ["BASIC_ENV", "DEFAULT_DAYS", "KEYRING_SERVICE", "MAX_POINTS", "STEPS", "TOKEN_ENV", "Credentials",
           "PrometheusClient", "PrometheusError", "PrometheusOptions", "collect_history", "credentials",
           "instance_label", "instance_matcher", "keyring_account", "list_instances", "parse_match", "pick_step"]

TOKEN_ENV = "PS_PRECHECKS_PROMETHEUS_TOKEN"  # noqa: S105 - the variable's name, not a token
BASIC_ENV = "PS_PRECHECKS_PROMETHEUS_BASIC_AUTH"
KEYRING_SERVICE = "ps-prechecks"  # the wizard's and --servers' keychain service (prechecks/servers.py)
DEFAULT_DAYS = 14.0
MAX_POINTS = 2000
API_LIMIT = 11000  # Prometheus refuses a query_range of more points per series
STEPS = (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
REQUEST_TIMEOUT = 15.0
BUDGET = 120.0
BUSIEST_COMMANDS = 5
WRITE_COMMANDS = ("insert", "insert_select", "update", "update_multi", "delete", "delete_multi", "replace",
                  "replace_select")
# the node matcher is not written in history.json: an escaped host name (db1\\.internal) would escape --redact
ON_HOST = "on the MySQL instance's host (PMM's node_name, else its instance label's host on any port)"
HELP_URL = "the Prometheus base URL, e.g. http://prometheus:9090 (PMM: https://pmm-server/prometheus)"

_LABEL = r"[A-Za-z_][A-Za-z0-9_]*"
_VALUE = r'"(?:[^"\\\n]|\\.)*"'
_MATCHER = re.compile(rf"\s*({_LABEL})\s*(=~|!~|!=|=)\s*({_VALUE})\s*")


class PrometheusError(Exception):
    """A one-line cause with its remedy (what a DBA reads)."""


def parse_match(text: str) -> str:
    """``{instance="db1:9104", job=~"mysql.*"}`` checked as a PromQL label matcher; its inside, normalised
    (``instance="db1:9104",job=~"mysql.*"``), or "" for ``{}``. A bad one raises ValueError (one line)."""
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError(f"--prometheus-match {text!r} is not a label matcher — write it in braces, e.g. "
                         "'{instance=\"db1:9104\"}'")
    inner, matchers, position = body[1:-1], [], 0
    while position < len(inner):
        found = _MATCHER.match(inner, position)
        if found is None:
            raise ValueError(f"--prometheus-match {text!r}: cannot read {inner[position:]!r} — each matcher is "
                             "label=\"value\" (or !=, =~, !~), separated by commas")
        label, operator, value = found.groups()
        if operator in ("=~", "!~"):
            try:
                re.compile(json.loads(value))
            except (re.error, ValueError) as exc:
                raise ValueError(f"--prometheus-match {text!r}: {value} is not a regular expression ({exc})") from None
        matchers.append(f"{label}{operator}{value}")
        position = found.end()
        if position < len(inner):
            if inner[position] != ",":
                raise ValueError(f"--prometheus-match {text!r}: expected a comma after {label}{operator}{value}")
            position += 1
    return ",".join(matchers)


def _selector(metric: str, *matchers: str) -> str:
    return metric + "{" + ",".join(m for m in matchers if m) + "}"


def pick_step(seconds: float, max_points: int = MAX_POINTS) -> int:
    """The smallest round step (:data:`STEPS`) that keeps a window of ``seconds`` at most ``max_points``."""
    for step in STEPS:
        if seconds / step + 1 <= max_points:
            return step
    return int(math.ceil(seconds / (max_points - 1)))


# ---------------------------------------------------------------------------------------- credentials


@dataclass(frozen=True)
class Credentials:
    """An Authorization header value and where it came from (never the value itself in a message)."""

    header: str | None = field(default=None, repr=False)
    found_in: str = "none"  # "PS_PRECHECKS_PROMETHEUS_TOKEN", "PS_PRECHECKS_PROMETHEUS_BASIC_AUTH", "keychain ..."

    @property
    def secrets(self) -> list[str]:
        """What must never be written anywhere: the header and its parts."""
        if not self.header:
            return []
        kind, _, value = self.header.partition(" ")
        out = [self.header, value]
        if kind == "Basic":
            out += [p for p in base64.b64decode(value).decode("utf-8", "replace").split(":", 1) if len(p) >= 4]
        return out


def keyring_account(url: str) -> str:
    """The keychain entry's user name for a Prometheus URL's bearer token: ``prometheus <URL>``."""
    return f"prometheus {base_url(url)}"


def credentials(url: str, environ: Mapping[str, str] | None = None, *, keychain: bool = True) -> Credentials:
    """The bearer token or basic auth to send: the environment first, then the system keychain."""
    environ = os.environ if environ is None else environ
    token = (environ.get(TOKEN_ENV) or "").strip()
    if token:
        return Credentials(f"Bearer {token}", TOKEN_ENV)
    basic = environ.get(BASIC_ENV) or ""
    if basic:
        if ":" not in basic:
            raise PrometheusError(f"{BASIC_ENV} must be user:password — set it so, or use {TOKEN_ENV} for a token")
        encoded = base64.b64encode(basic.encode("utf-8")).decode("ascii")
        return Credentials(f"Basic {encoded}", BASIC_ENV)
    if keychain:
        stored = _keychain_token(keyring_account(url))
        if stored:
            return Credentials(f"Bearer {stored}", f"keychain {keyring_account(url)}")
    return Credentials()


def _keychain_token(account: str) -> str | None:
    try:
        import keyring
        import keyring.errors
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, account)
    except keyring.errors.KeyringError:
        return None


def base_url(url: str) -> str:
    """The URL without a trailing slash or ``/api/v1`` (a user may paste either)."""
    text = url.strip().rstrip("/")
    for suffix in ("/api/v1/query_range", "/api/v1/query", "/api/v1"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text


# --------------------------------------------------------------------------------------------- HTTP


class _NoAuthRedirect(urllib.request.HTTPRedirectHandler):
    """Follows a redirect on the same host only: elsewhere the credentials would go with it (or stop working)."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            fp.close()  # the redirect's own answer: not read further
            raise PrometheusError(f"{_where(req.full_url)} redirects to another host ({_where(newurl)}) — give "
                                  f"--prometheus that URL itself")
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            for name, value in req.unredirected_hdrs.items():
                new.add_unredirected_header(name, value)
        return new


def _where(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "") + parts.path


class PrometheusClient:
    """GETs against one Prometheus-compatible API, each within ``timeout`` and all within ``budget`` seconds."""

    def __init__(self, url: str, *, auth: Credentials | None = None, ca_file: str | None = None,
                 timeout: float = REQUEST_TIMEOUT, budget: float = BUDGET,
                 clock: Callable[[], float] = time.monotonic) -> None:
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PrometheusError(f"--prometheus {url!r} is not an http:// or https:// URL — give {HELP_URL}")
        if parts.username or parts.password:
            raise PrometheusError(f"--prometheus: the URL holds a user name or password, which other users can see "
                                  f"in the process list — remove it and set {BASIC_ENV}=user:password instead")
        self.url = base_url(url)
        self.where = _where(self.url)
        self.auth = auth or Credentials()
        self.timeout = timeout
        self._clock = clock
        self._deadline = clock() + budget
        self.budget = budget
        handlers: list[Any] = [_NoAuthRedirect()]
        if parts.scheme == "https":
            try:
                context = ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise PrometheusError(f"--prometheus-ca {ca_file}: cannot use it ({exc}) — give a PEM CA file") \
                    from None
            handlers.append(urllib.request.HTTPSHandler(context=context))
        handlers.append(urllib.request.ProxyHandler({}))  # loopback-safe: no proxy from the environment
        self._opener = urllib.request.build_opener(*handlers)

    def get(self, path: str, params: Mapping[str, Any]) -> Any:
        """The ``data`` of a successful API answer; PrometheusError (one line) otherwise."""
        left = self._deadline - self._clock()
        if left <= 0:
            raise PrometheusError(f"Prometheus at {self.where} did not answer within {self.budget:.0f} s in all — "
                                  "try fewer --history-days, or check the server's load")
        request = urllib.request.Request(f"{self.url}{path}?{urllib.parse.urlencode(params)}",  # noqa: S310 - http(s) only (checked above)
                                         headers={"Accept": "application/json", "User-Agent": "ps-prechecks"})
        if self.auth.header:
            request.add_unredirected_header("Authorization", self.auth.header)
        try:
            with self._opener.open(request, timeout=min(self.timeout, left)) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc) from None
        except TimeoutError:
            raise PrometheusError(f"Prometheus at {self.where} did not answer within {min(self.timeout, left):.0f} s "
                                  "— check the URL and that the server is up") from None
        except urllib.error.URLError as exc:
            raise PrometheusError(self._unreachable(exc.reason)) from None
        except (ConnectionError, OSError) as exc:
            raise PrometheusError(self._unreachable(exc)) from None
        try:
            answer = json.loads(body)
        except ValueError:
            raise PrometheusError(f"{self.where} does not answer the Prometheus query API ({path} gave no JSON) — "
                                  f"give {HELP_URL}") from None
        if not isinstance(answer, dict) or answer.get("status") != "success":
            error = answer.get("error") if isinstance(answer, dict) else None
            raise PrometheusError(f"Prometheus at {self.where} refused the query: {error or 'no data'}")
        return answer.get("data")

    def _unreachable(self, reason: Any) -> str:
        if isinstance(reason, ssl.SSLError):
            why = getattr(reason, "verify_message", None) or reason
            return f"cannot verify the TLS certificate of {self.where} ({why}) — give its CA with --prometheus-ca FILE"
        if isinstance(reason, TimeoutError):
            return f"Prometheus at {self.where} did not answer in time — check the URL and that the server is up"
        text = getattr(reason, "strerror", None) or str(reason)
        return (f"cannot reach Prometheus at {self.where} ({text}) — check the URL and that this machine can "
                "reach it (firewall, VPN)")

    def _http_error(self, exc: urllib.error.HTTPError) -> PrometheusError:
        code = exc.code
        if code == 401:
            if self.auth.header:
                return PrometheusError(f"Prometheus at {self.where} refused the credentials from {self.auth.found_in} "
                                       "(HTTP 401) — check the token or user:password")
            return PrometheusError(f"Prometheus at {self.where} asks for credentials (HTTP 401) — set {TOKEN_ENV} "
                                   f"(a bearer token) or {BASIC_ENV} (user:password)")
        if code == 403:
            return PrometheusError(f"Prometheus at {self.where} denies access (HTTP 403) with the credentials from "
                                   f"{self.auth.found_in} — they need read access to the query API")
        if code == 404:
            return PrometheusError(f"{self.where} has no Prometheus query API (HTTP 404) — give {HELP_URL}")
        detail = ""
        try:
            detail = str(json.loads(exc.read()).get("error") or "")
        except (ValueError, AttributeError, OSError):
            pass
        return PrometheusError(f"Prometheus at {self.where} answered HTTP {code}"
                               + (f": {detail}" if detail else "") + " — check the URL and the server's log")

    def instant(self, query: str, at: float) -> list[dict[str, Any]]:
        data = self.get("/api/v1/query", {"query": query, "time": _number(at)})
        return list(data.get("result") or []) if isinstance(data, dict) else []

    def range(self, query: str, start: float, end: float, step: int) -> list[dict[str, Any]]:
        data = self.get("/api/v1/query_range", {"query": query, "start": _number(start), "end": _number(end),
                                                "step": step})
        return list(data.get("result") or []) if isinstance(data, dict) else []


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _points(result: Iterable[Mapping[str, Any]]) -> list[tuple[float, float]]:
    """A query's one series as [(time, value)]. The queries here sum into one series or select one instance's;
    should a store still answer several (two jobs scraping the same exporter), the one with the most points is
    taken, never several interleaved (that would read as resets)."""
    candidates = [list(series.get("values") or []) for series in result]
    if not candidates:
        return []
    chosen = max(candidates, key=len)
    out = [(float(t), float(v)) for t, v in chosen if not math.isnan(float(v))]
    return sorted(out)


# ----------------------------------------------------------------------------------------- instances


def instance_label(labels: Mapping[str, str]) -> str:
    """How an instance is named to a DBA: PMM's service_name, else instance (and job)."""
    if labels.get("service_name"):
        return str(labels["service_name"])
    instance = labels.get("instance") or "?"
    return f"{instance} (job {labels['job']})" if labels.get("job") else str(instance)


def instance_matcher(labels: Mapping[str, str]) -> str:
    key = "service_name" if labels.get("service_name") else "instance"
    return f"{key}={json.dumps(str(labels.get(key, '')))}"


def list_instances(client: PrometheusClient, match: str = "", *, window_seconds: float = DEFAULT_DAYS * 86400,
                   at: float | None = None) -> list[dict[str, str]]:
    """The MySQL instances the store has series for in the window (their label sets, sorted): ``mysql_up``
    (mysqld_exporter, PMM), else ``up`` of a job named like mysql. For the wizard's list and --prometheus-match."""
    at = time.time() if at is None else at
    window = f"{max(1, int(window_seconds))}s"
    mysql_job = 'job=~"(?i).*mysql.*"'
    for query in (f"last_over_time({_selector('mysql_up', match)}[{window}])",
                  f"last_over_time({_selector('up', mysql_job, match)}[{window}])"):
        found = [dict(r.get("metric") or {}) for r in client.instant(query, at)]
        if found:
            return sorted(found, key=lambda labels: sorted(labels.items()))
    return []


# ------------------------------------------------------------------------------------------- history


@dataclass(frozen=True)
class PrometheusOptions:
    url: str
    match: str = ""  # parse_match's output: the inside of the braces
    days: float = DEFAULT_DAYS
    ca_file: str | None = None
    timeout: float = REQUEST_TIMEOUT
    budget: float = BUDGET
    node_match: str | None = None  # node_exporter's series of the same host; None: derived from the instance


@dataclass
class _Read:
    """What the queries gave: series, what is missing and why, gaps and reset times."""

    step: int
    series: dict[str, tuple[str, list[tuple[float, float]]]] = field(default_factory=dict)
    missing: list[dict[str, str]] = field(default_factory=list)
    gaps: dict[tuple[float, float], dict[str, Any]] = field(default_factory=dict)
    resets: set[float] = field(default_factory=set)
    restart_times: set[float] = field(default_factory=set)  # from resets(): restarts the raw values cannot show

    def counter(self, name: str, raw: list[tuple[float, float]], restarts: Iterable[float] = ()) -> None:
        """A rate from a raw counter: no rate over a reset (seen in the values or by resets()) or a hole."""
        rates = counter_rates(raw, max_gap=self.step * 1.5)
        hidden = set(restarts) | self.restart_times
        kept = [(t, v) for t, v in rates.points if t not in hidden]
        self.resets.update(rates.resets)
        self.resets.update(t for t, _ in rates.points if t in hidden)
        for gap in rates.gaps:
            self.gaps.setdefault((gap.start, gap.end), gap.as_dict())
        self.series[name] = ("per_second", kept)


def collect_history(options: PrometheusOptions, *, client: PrometheusClient | None = None,
                    end: float | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """history.json's document (collectors.series.history_document) for the one matching MySQL instance over
    ``options.days`` days ending at ``end`` (now). PrometheusError when it cannot be read."""
    if client is None:
        client = PrometheusClient(options.url, auth=credentials(options.url, environ), ca_file=options.ca_file,
                                  timeout=options.timeout, budget=options.budget)
    window = max(60.0, options.days * 86400)
    now = time.time() if end is None else end
    step = pick_step(window)
    end = math.floor(now / step) * step  # points on round times: 14:15, not 14:13:07
    start = end - window
    # the instances of the whole window, up to now: one that started in the last step is listed too
    match = _one_instance(client, options.match, now - start, now)
    node = options.node_match if options.node_match is not None else _node_matcher(client, match, now - start, now)
    read = _Read(step)

    def counter(query: str) -> list[tuple[float, float]]:
        return _points(client.range(query, start, end, step))

    def restarts(selector: str) -> set[float]:
        return {t for t, v in counter(f"resets({selector}[{step}s])") if v > 0}

    questions = _selector("mysql_global_status_questions", match)
    raw = counter(questions)
    if raw:
        read.restart_times = restarts(questions)
        read.counter("queries_per_second", raw)
    else:
        read.missing.append({"series": "queries_per_second", "reason": "no mysql_global_status_questions series "
                                                                       "(mysqld_exporter, --collect.global_status)"})
    commands = _selector("mysql_global_status_commands_total", match)
    select = _selector("mysql_global_status_commands_total", match, 'command="select"')
    writes = _selector("mysql_global_status_commands_total", match, 'command=~"' + "|".join(WRITE_COMMANDS) + '"')
    reads = counter(f"sum({select})")
    if reads:
        read.counter("reads_per_second", reads)
        read.counter("writes_per_second", counter(f"sum({writes})"))
        try:
            top = client.instant(f"topk({BUSIEST_COMMANDS}, increase({commands}[{int(window)}s]))", end)
        except PrometheusError:  # too many samples for the store (a short scrape interval): since start-up instead
            top = client.instant(f"topk({BUSIEST_COMMANDS}, {commands})", end)
        for item in sorted(top, key=lambda r: -float((r.get("value") or [0, "0"])[1])):
            command = str((item.get("metric") or {}).get("command") or "")
            if not re.fullmatch(r"[a-z_]+", command) or float(item["value"][1]) <= 0:
                continue
            selector = _selector("mysql_global_status_commands_total", match, f'command="{command}"')
            read.counter(f"com_{command}_per_second", counter(f"sum({selector})"))
    else:
        for name in ("reads_per_second", "writes_per_second"):
            read.missing.append({"series": name, "reason": "no mysql_global_status_commands_total series "
                                                           "(mysqld_exporter, --collect.global_status)"})
    for name, metric in (("connections", "mysql_global_status_threads_connected"),
                         ("threads_running", "mysql_global_status_threads_running")):
        points = counter(_selector(metric, match))
        if points:
            read.series[name] = ("count", points)
        else:
            read.missing.append({"series": name, "reason": f"no {metric} series"})
    for name, metric in (("innodb_data_reads_per_second", "mysql_global_status_innodb_data_reads"),
                         ("innodb_data_writes_per_second", "mysql_global_status_innodb_data_writes")):
        points = counter(_selector(metric, match))
        if points:
            read.counter(name, points)
        else:
            read.missing.append({"series": name, "reason": f"no {metric} series"})
    _node_series(read, counter, restarts, node)
    return history_document("prometheus", start, end, step, read.series, missing=read.missing,
                            gaps=sorted(read.gaps.values(), key=lambda g: g["start"]), resets=len(read.resets))


def _one_instance(client: PrometheusClient, match: str, window: float, end: float) -> str:
    """The matcher of the one MySQL instance to read: ``match`` when it picks exactly one, else a one-line error."""
    found = list_instances(client, match, window_seconds=window, at=end)
    if len(found) == 1:
        return match or instance_matcher(found[0])
    if not found:
        if match:
            others = list_instances(client, "", window_seconds=window, at=end)
            listed = ", ".join(instance_label(i) for i in others[:10]) or "none"
            raise PrometheusError(f"no MySQL instance in Prometheus matches {{{match}}} over the last "
                                  f"{_span(window)} (instances there: {listed}) — fix --prometheus-match")
        raise PrometheusError(f"Prometheus at {client.where} has no MySQL instance (no mysql_up series) over the last "
                              f"{_span(window)} — is mysqld_exporter scraped by it?")
    listed = ", ".join(instance_label(i) for i in found[:10]) + (" …" if len(found) > 10 else "")
    example = instance_matcher(found[0])
    raise PrometheusError(f"{len(found)} MySQL instances in Prometheus{' match' if match else ''}: {listed} — pick one "
                          f"with --prometheus-match '{{{example}}}'")


def _span(seconds: float) -> str:
    return f"{seconds / 86400:.0f} days" if seconds >= 1.5 * 86400 else f"{seconds / 3600:.1f} hours"


def _node_matcher(client: PrometheusClient, match: str, window: float, end: float) -> str:
    """node_exporter's series of the MySQL instance's host: PMM's node_name, else the same host on any port."""
    found = list_instances(client, match, window_seconds=window, at=end)
    labels = found[0] if found else {}
    if labels.get("node_name"):
        return f"node_name={json.dumps(labels['node_name'])}"
    instance = str(labels.get("instance") or "")
    host = instance.rsplit(":", 1)[0] if ":" in instance and not instance.endswith("]") else instance
    if not host:
        return match
    return f"instance=~{json.dumps(re.escape(host) + '(:[0-9]+)?')}"


def _node_series(read: _Read, counter: Callable[[str], list[tuple[float, float]]],
                 restarts: Callable[[str], set[float]], node: str) -> None:
    """cpu_percent, memory_used_bytes, read_iops and write_iops from node_exporter, each named when absent."""
    idle_selector = _selector("node_cpu_seconds_total", node, 'mode="idle"')
    idle = counter(f"sum({idle_selector})")
    cpus = dict(counter(f"count({idle_selector})"))
    if idle and cpus:
        rates = counter_rates(idle, max_gap=read.step * 1.5)
        hidden = restarts(idle_selector)
        read.resets.update(rates.resets)
        read.series["cpu_percent"] = ("percent", [
            (t, min(100.0, max(0.0, 100.0 * (1 - v / cpus[t])))) for t, v in rates.points
            if t in cpus and cpus[t] and t not in hidden])
    else:
        read.missing.append({"series": "cpu_percent",
                             "reason": f"no node_exporter node_cpu_seconds_total series {ON_HOST}"})
    total = dict(counter(_selector("node_memory_MemTotal_bytes", node)))
    available = counter(_selector("node_memory_MemAvailable_bytes", node))
    if total and available:
        read.series["memory_used_bytes"] = ("bytes", [(t, total[t] - v) for t, v in available if t in total])
    else:
        read.missing.append({"series": "memory_used_bytes",
                             "reason": "no node_exporter node_memory_MemTotal_bytes/MemAvailable_bytes series "
                                       + ON_HOST})
    for name, metric in (("read_iops", "node_disk_reads_completed_total"),
                         ("write_iops", "node_disk_writes_completed_total")):
        selector = _selector(metric, node)
        raw = counter(f"sum({selector})")
        if raw:
            read.counter(name, raw, restarts(selector))
        else:
            read.missing.append({"series": name, "reason": f"no node_exporter {metric} series {ON_HOST}"})


def one_line(document: Mapping[str, Any]) -> str:
    """What the CLI says when the history is read: the window, the series, what is missing."""
    series = document.get("series") or {}
    missing = [str(m.get("series")) for m in document.get("missing") or []]
    window = document.get("window") or {}
    qps = series.get("queries_per_second") or {}
    text = (f"history from Prometheus: {len(series)} series from {window.get('start')} to {window.get('end')} every "
            f"{window.get('step_seconds')} s")
    if qps:
        text += f"; queries/s avg {qps.get('avg')}, max {qps.get('max')} at {qps.get('max_at')}"
    if missing:
        text += f"; not in Prometheus: {', '.join(missing)}"
    gaps, resets = len(document.get("gaps") or []), int(document.get("resets") or 0)
    if gaps or resets:
        text += f"; {gaps} gap(s) and {resets} restart(s) left out of the rates"
    return text


def parse_days(value: str) -> float:
    """--history-days: a number of days, more than 0 and at most 400."""
    try:
        days = float(value)
    except ValueError:
        raise ValueError(f"--history-days {value!r} is not a number of days — e.g. 14") from None
    if not 0 < days <= 400 or math.isnan(days):
        raise ValueError(f"--history-days {value}: give a number of days from 0 to 400 (e.g. 14)")
    return days

