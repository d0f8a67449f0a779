"""Google Cloud and Azure in tests: STAND-INS, not the clouds. No emulator exists for the Cloud SQL Admin,
Cloud Monitoring, Azure Resource Manager (MySQL flexible servers) or Azure Monitor metrics APIs, so these are
small local HTTP servers on 127.0.0.1 answering the requests the official client libraries send with the
responses the APIs' reference pages document (each route names its page). The client libraries run
unchanged over real HTTP: google-api-python-client with google-auth's service-account token flow, and
azure-mgmt-* with azure-identity's client-secret flow (msal) over TLS, as Azure's SDK refuses bearer tokens
over plain http; the test makes a throwaway CA and certificate with ``cryptography``.

Faults are chosen per operation: ``fail(operation, status, times=None)`` answers that operation with the
API's documented error body (403, 404, 429 with Retry-After) every time or the first ``times`` calls;
``seen`` counts the calls per operation, so a test can tell a throttled call was retried.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import ssl
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Answer = tuple[int, dict[str, Any], dict[str, str]]  # status, JSON body, extra headers


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class StandIn:
    """A threaded local HTTP(S) server; ``route(request) -> (operation, answer function)``."""

    def __init__(self, route: Callable[[Request], tuple[str, Callable[[], Answer]]],
                 tls: ssl.SSLContext | None = None) -> None:
        self.route = route
        self.seen: Counter[str] = Counter()
        self.faults: dict[str, tuple[int, int | None, Callable[[], Answer]]] = {}
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

            def do_GET(self) -> None:
                stand_in.handle(self)

            def do_POST(self) -> None:
                stand_in.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fail(self, operation: str, answer: Callable[[], Answer], times: int | None = None) -> None:
        self.faults[operation] = (0, times, answer)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parsed = urllib.parse.urlsplit(handler.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        request = Request(handler.command, urllib.parse.unquote(parsed.path), query,
                          {k.lower(): v for k, v in handler.headers.items()}, body)
        operation, answer = self.route(request)
        self.seen[operation] += 1
        if operation in self.faults:
            count, times, fault = self.faults[operation]
            if times is None or count < times:
                self.faults[operation] = (count + 1, times, fault)
                answer = fault
        status, payload, headers = answer()
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=UTF-8")
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------------- Google

def google_error(status: int, message: str, reason: str) -> Callable[[], Answer]:
    """The error body of Google's JSON APIs (cloud.google.com/apis/design/errors#http_mapping)."""
    statuses = {403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 401: "UNAUTHENTICATED"}
    body = {"error": {"code": status, "message": message, "status": statuses.get(status, "UNKNOWN"),
                      "errors": [{"message": message, "domain": "global", "reason": reason}]}}
    return lambda: (status, body, {"Retry-After": "0"} if status == 429 else {})


def google_denied() -> Callable[[], Answer]:
    return google_error(403, "The client is not authorized to make this request.", "notAuthorized")


def google_throttled() -> Callable[[], Answer]:
    return google_error(429, "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute'.",
                        "rateLimitExceeded")


@dataclass
class GoogleCloud:
    """What the stand-in holds: Cloud SQL instances by (project, name) and hourly metric points by
    (database_id, metric type, aligner) -> [(the hour's start, value)]."""

    instances: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    points: dict[tuple[str, str, str], list[tuple[dt.datetime, float | int]]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    client_email: str = ""
    public_key: Any = None
    page_size: int = 200  # points per timeSeries.list page (the API's pageSize counts points in view FULL)
    instances_page_size: int = 2

    def route(self, request: Request) -> tuple[str, Callable[[], Answer]]:
        path = request.path
        if request.method == "POST" and path == "/token":
            return "token", lambda: self.token(request)
        authorization = request.headers.get("authorization", "")
        if authorization.removeprefix("Bearer ") not in self.tokens:
            return "unauthenticated", google_error(401, "Request had invalid authentication credentials.",
                                                   "authError")
        parts = path.strip("/").split("/")
        if parts[:2] == ["v1", "projects"] and len(parts) == 5 and parts[3] == "instances":
            return "instances.get", lambda: self.instance(parts[2], parts[4])
        if parts[:2] == ["v1", "projects"] and len(parts) == 4 and parts[3] == "instances":
            return "instances.list", lambda: self.list_instances(parts[2], request.query.get("pageToken"))
        if parts[:2] == ["v3", "projects"] and len(parts) == 4 and parts[3] == "timeSeries":
            return "timeSeries.list", lambda: self.time_series(request.query)
        return "unknown", google_error(404, f"no route {path}", "notFound")

    def token(self, request: Request) -> Answer:
        """developers.google.com/identity/protocols/oauth2/service-account#httprest: a JWT bearer grant,
        answered with an access token; the JWT's signature is checked with the key's public half."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        form = dict(urllib.parse.parse_qsl(request.body.decode()))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type"}, {}
        header, claims, signature = form.get("assertion", "..").split(".")
        try:
            self.public_key.verify(_b64decode(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(),
                                   hashes.SHA256())
        except Exception:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, {}
        if json.loads(_b64decode(claims)).get("iss") != self.client_email:
            return 400, {"error": "invalid_grant", "error_description": "Invalid issuer."}, {}
        token = "ya29.standin-" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}, {}

    def instance(self, project: str, name: str) -> Answer:
        """cloud.google.com/sql/docs/mysql/admin-api/rest/v1/instances/get (a DatabaseInstance)."""
        found = self.instances.get((project, name))
        if found is None:
            return google_error(404, "The Cloud SQL instance does not exist.", "instanceDoesNotExist")()
        return 200, found, {}

    def list_instances(self, project: str, token: str | None) -> Answer:
        """cloud.google.com/sql/docs/mysql/admin-api/rest/v1/instances/list: items and nextPageToken."""
        names = sorted(n for p, n in self.instances if p == project)
        start = int(token or 0)
        page = names[start:start + self.instances_page_size]
        body: dict[str, Any] = {"kind": "sql#instancesList",
                                "items": [self.instances[(project, n)] for n in page]}
        if start + self.instances_page_size < len(names):
            body["nextPageToken"] = str(start + self.instances_page_size)
        return 200, body, {}

    def time_series(self, query: dict[str, str]) -> Answer:
        """cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.timeSeries/list: aligned points, newest
        first, at most pageSize points a page in view FULL, nextPageToken for the rest."""
        text = query.get("filter", "")
        metric = text.split('metric.type = "', 1)[1].split('"', 1)[0] if 'metric.type = "' in text else ""
        database = text.split('resource.labels.database_id = "', 1)[1].split('"', 1)[0] \
            if "database_id" in text else ""
        aligner = query.get("aggregation.perSeriesAligner", "")
        period = int(query.get("aggregation.alignmentPeriod", "60s").rstrip("s"))
        start = dt.datetime.fromisoformat(query["interval.startTime"].replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(query["interval.endTime"].replace("Z", "+00:00"))
        points = sorted((p for p in self.points.get((database, metric, aligner), []) if start <= p[0] < end),
                        reverse=True)
        offset = int(query.get("pageToken") or 0)
        page = points[offset:offset + self.page_size]
        if not page:
            return 200, {"unit": ""}, {}
        integer = aligner in ("ALIGN_MAX", "ALIGN_MIN", "ALIGN_SUM", "ALIGN_DELTA") and all(
            isinstance(v, int) for _, v in page)
        series = {"metric": {"type": metric}, "resource": {"type": "cloudsql_database", "labels": {
            "database_id": database, "project_id": database.split(":")[0], "region": "europe-west1"}},
                  "metricKind": "GAUGE" if aligner != "ALIGN_DELTA" else "DELTA",
                  "valueType": "INT64" if integer else "DOUBLE",
                  "points": [{"interval": {"startTime": stamp(w), "endTime": stamp(w + dt.timedelta(seconds=period))},
                              "value": {"int64Value": str(v)} if integer else {"doubleValue": float(v)}}
                             for w, v in page]}
        body: dict[str, Any] = {"timeSeries": [series], "unit": ""}
        if offset + self.page_size < len(points):
            body["nextPageToken"] = str(offset + self.page_size)
        return 200, body, {}


def service_account_file(directory: Path, token_uri: str, private_key_id: str = "standin-key-1"
                         ) -> tuple[Path, str, Any]:
    """A service-account key file (the JSON the console downloads) whose token_uri is the stand-in;
    returns (path, the private key PEM, the public key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    email = "prechecks@shop-prod.iam.gserviceaccount.com"
    info = {"type": "service_account", "project_id": "shop-prod", "private_key_id": private_key_id,
            "private_key": pem, "client_email": email, "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
            "universe_domain": "googleapis.com"}
    path = directory / "service-account.json"
    path.write_text(json.dumps(info))
    return path, pem, key.public_key()


# ----------------------------------------------------------------------------------------------------- Azure

def azure_error(status: int, code: str, message: str) -> Callable[[], Answer]:
    """Azure Resource Manager's error body (learn.microsoft.com/azure/azure-resource-manager/troubleshooting/
    common-deployment-errors; the shape is the ARM ErrorResponse)."""
    return lambda: (status, {"error": {"code": code, "message": message}},
                    {"Retry-After": "0"} if status == 429 else {})


def azure_denied(action: str) -> Callable[[], Answer]:
    return azure_error(403, "AuthorizationFailed", f"The client '00000000-0000-0000-0000-00000000c11e' with object "
                       f"id '00000000-0000-0000-0000-00000000c11e' does not have authorization to perform action "
                       f"'{action}' over scope '/subscriptions/x' or the scope is invalid. If access was recently "
                       "granted, please refresh your credentials.")


def azure_throttled() -> Callable[[], Answer]:
    return azure_error(429, "TooManyRequests", "The request is being throttled.")


@dataclass
class AzureCloud:
    """Flexible servers by (subscription, resource group, name), their replicas and parameters, and metric
    points by (server resource id, metric name) -> [(the hour's start, {"average": .., "maximum": .., "total": ..})]."""

    tenant: str
    client_id: str
    client_secret: str
    servers: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    parameters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    metrics: dict[tuple[str, str], list[tuple[dt.datetime, dict[str, float]]]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    base: str = ""
    page_size: int = 2

    def route(self, request: Request) -> tuple[str, Callable[[], Answer]]:
        path = request.path
        if path == f"/{self.tenant}/v2.0/.well-known/openid-configuration":
            return "openid", self.openid
        if request.method == "POST" and path == f"/{self.tenant}/oauth2/v2.0/token":
            return "token", lambda: self.token(request)
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return "unauthenticated", azure_error(401, "InvalidAuthenticationToken",
                                                  "The access token is invalid.")
        lower = path.lower()
        parts = path.strip("/").split("/")
        if lower.endswith("/providers/microsoft.insights/metrics"):
            resource = "/" + path[:-len("/providers/Microsoft.Insights/metrics")].lstrip("/")
            return "metrics.list", lambda: self.metric_list(resource, request.query)
        if len(parts) == 5 and lower.endswith("/providers/microsoft.dbformysql/flexibleservers"):
            return "servers.list", lambda: self.list_servers(parts[1], request.query.get("$skiptoken"))
        if len(parts) == 8 and parts[6].lower() == "flexibleservers":
            return "servers.get", lambda: self.server(parts[1], parts[3], parts[7])
        if len(parts) == 9 and parts[8] == "replicas":
            return "replicas.list_by_server", lambda: self.replicas(parts[1], parts[3], parts[7])
        if len(parts) == 9 and parts[8] == "configurations":
            return "configurations.list_by_server", lambda: self.configurations(
                parts[1], parts[3], parts[7], request.query.get("$skiptoken"))
        return "unknown", azure_error(404, "NotFound", f"no route {path}")

    def openid(self) -> Answer:
        """The tenant's OpenID configuration (learn.microsoft.com/entra/identity-platform/v2-protocols-oidc)."""
        root = f"{self.base}/{self.tenant}"
        return 200, {"token_endpoint": f"{root}/oauth2/v2.0/token",
                     "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                     "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                     "issuer": f"{root}/v2.0", "jwks_uri": f"{root}/discovery/v2.0/keys",
                     "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                     "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                               "client_secret_basic"],
                     "tenant_region_scope": "EU"}, {}

    def token(self, request: Request) -> Answer:
        """The client credentials grant with a shared secret (learn.microsoft.com/entra/identity-platform/
        v2-oauth2-client-creds-grant-flow#first-case-access-token-request-with-a-shared-secret)."""
        form = dict(urllib.parse.parse_qsl(request.body.decode()))
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != self.client_id:
            return 400, {"error": "unauthorized_client", "error_description": "AADSTS700016: unknown client"}, {}
        if form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret "
                         "provided.", "error_codes": [7000215]}, {}
        token = "eyJ0eXAiOiJKV1Qi.standin." + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}, {}

    def server(self, subscription: str, group: str, name: str) -> Answer:
        """learn.microsoft.com/rest/api/mysql/flexibleserver/servers/get (a Server)."""
        found = self.servers.get((subscription, group.lower(), name))
        if found is None:
            return azure_error(404, "ResourceNotFound", f"The Resource 'Microsoft.DBforMySQL/flexibleServers/{name}'"
                               f" under resource group '{group}' was not found. For more details please go to "
                               "https://aka.ms/ARMResourceNotFoundFix")()
        return 200, found, {}

    def _page(self, items: list[dict[str, Any]], token: str | None, link: str) -> Answer:
        start = int(token or 0)
        body: dict[str, Any] = {"value": items[start:start + self.page_size]}
        if start + self.page_size < len(items):
            body["nextLink"] = f"{self.base}{link}&$skiptoken={start + self.page_size}"
        return 200, body, {}

    def list_servers(self, subscription: str, token: str | None) -> Answer:
        """learn.microsoft.com/rest/api/mysql/flexibleserver/servers/list: value and nextLink."""
        items = [s for (sub, _, _), s in sorted(self.servers.items()) if sub == subscription]
        return self._page(items, token, f"/subscriptions/{subscription}/providers/Microsoft.DBforMySQL/"
                          "flexibleServers?api-version=2024-12-30")

    def replicas(self, subscription: str, group: str, name: str) -> Answer:
        """learn.microsoft.com/rest/api/mysql/flexibleserver/replicas/list-by-server."""
        source = self.servers.get((subscription, group.lower(), name))
        if source is None:
            return self.server(subscription, group, name)
        items = [s for s in self.servers.values()
                 if (s.get("properties") or {}).get("sourceServerResourceId", "").lower() == source["id"].lower()]
        return 200, {"value": items}, {}

    def configurations(self, subscription: str, group: str, name: str, token: str | None) -> Answer:
        """learn.microsoft.com/rest/api/mysql/flexibleserver/configurations/list-by-server (paged)."""
        source = self.servers.get((subscription, group.lower(), name))
        if source is None:
            return self.server(subscription, group, name)
        items = self.parameters.get(source["id"], [])
        return self._page(items, token, f"{source['id']}/configurations?api-version=2024-12-30")

    def metric_list(self, resource: str, query: dict[str, str]) -> Answer:
        """learn.microsoft.com/rest/api/monitor/metrics/list: one item per metric name asked, its timeseries'
        data points for the interval, with the aggregations asked."""
        start_text, end_text = query["timespan"].split("/")
        start = dt.datetime.fromisoformat(start_text.replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(end_text.replace("Z", "+00:00"))
        wanted = [a.strip().lower() for a in query.get("aggregation", "average").split(",")]
        units = {"storage_used": "Bytes", "active_connections": "Count", "Queries": "Count"}
        value = []
        for name in query.get("metricnames", "").split(","):
            points = [(w, p) for w, p in self.metrics.get((resource.lower(), name), []) if start <= w < end]
            value.append({"id": f"{resource}/providers/Microsoft.Insights/metrics/{name}", "type":
                          "Microsoft.Insights/metrics", "name": {"value": name, "localizedValue": name},
                          "displayDescription": "", "unit": units.get(name, "Percent"), "errorCode": "Success",
                          "timeseries": [{"metadatavalues": [], "data": [
                              {"timeStamp": stamp(w), **{k: v for k, v in p.items() if k in wanted}}
                              for w, p in sorted(points)]}]})
        return 200, {"cost": 0, "timespan": query["timespan"], "interval": query.get("interval", "PT1M"),
                     "value": value, "namespace": query.get("metricnamespace", ""),
                     "resourceregion": "westeurope"}, {}


def throwaway_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A CA made here, and a certificate for 127.0.0.1 it signs: the server's TLS context and the CA file
    the test process trusts (REQUESTS_CA_BUNDLE / SSL_CERT_FILE)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ps-prechecks test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, ca_file
