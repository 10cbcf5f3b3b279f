"""A Kubernetes API server double, on loopback, for rendering the chart through Helm itself.

helm-sdkpy exposes Helm's install action but no `helm template`; Helm's install needs an API
server for discovery and for creating objects. This one answers discovery for the kinds the
chart uses, keeps created objects in memory, reports Jobs as complete (so pre-install hooks
finish) and forgets deleted objects. What Helm created is what the chart rendered.

Runs under the chart-tools interpreter (stdlib only).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# (group, version, kind, plural, namespaced)
RESOURCES: tuple[tuple[str, str, str, str, bool], ...] = (
    ("", "v1", "Namespace", "namespaces", False),
    ("", "v1", "ConfigMap", "configmaps", True),
    ("", "v1", "Secret", "secrets", True),
    ("", "v1", "Service", "services", True),
    ("", "v1", "ServiceAccount", "serviceaccounts", True),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True),
    ("", "v1", "Pod", "pods", True),
    ("apps", "v1", "Deployment", "deployments", True),
    ("apps", "v1", "StatefulSet", "statefulsets", True),
    ("batch", "v1", "Job", "jobs", True),
    ("batch", "v1", "CronJob", "cronjobs", True),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True),
    ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True),
    ("networking.k8s.io", "v1", "Ingress", "ingresses", True),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    ("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors", True),
    ("monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules", True),
    ("keda.sh", "v1alpha1", "ScaledObject", "scaledobjects", True),
    ("keda.sh", "v1alpha1", "TriggerAuthentication", "triggerauthentications", True),
)

VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
PATH = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?(?P<sub>/status)?$"
)


def _group_versions() -> dict[str, list[tuple[str, str, str, bool]]]:
    out: dict[str, list[tuple[str, str, str, bool]]] = {}
    for group, version, kind, plural, namespaced in RESOURCES:
        gv = f"{group}/{version}" if group else version
        out.setdefault(gv, []).append((kind, plural, kind.lower(), namespaced))
    return out


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self.records: dict[tuple[str, str, str, str], Record] = {}
        self.created: list[dict[str, Any]] = []
        self.requests: list[str] = []


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure" if code >= 400 else "Success",
        "message": message,
        "reason": reason,
        "code": code,
    }


# Helm keeps its release records in Secrets and sends them as Kubernetes protobuf: the
# bytes "k8s\0", then a runtime.Unknown (1: typeMeta, 2: raw object). The double keeps
# them as sent and answers reads of them in kind, so that `helm upgrade` finds the release.
PROTOBUF = "application/vnd.kubernetes.protobuf"
ENVELOPE = b"k8s\x00"


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def _fields(data: bytes) -> list[tuple[int, bytes | int]]:
    """(field number, value) of a protobuf message: bytes for length-delimited fields."""
    out: list[tuple[int, bytes | int]] = []
    i = 0
    while i < len(data):
        tag, i = _varint(data, i)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, i = _varint(data, i)
            out.append((field, value))
        elif wire == 2:
            size, i = _varint(data, i)
            out.append((field, data[i : i + size]))
            i += size
        else:  # fixed 64 (1) or 32 (5) bits: not in these messages' fields of interest
            i += 8 if wire == 1 else 4
    return out


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | 2) + _encode_varint(len(payload)) + payload


def _first(fields: list[tuple[int, bytes | int]], number: int) -> bytes:
    value = next((v for f, v in fields if f == number), b"")
    return value if isinstance(value, bytes) else b""


class Record:
    """A protobuf-encoded object Helm stored (its release records)."""

    def __init__(self, body: bytes) -> None:
        unknown = _fields(body.removeprefix(ENVELOPE))
        self.raw = _first(unknown, 2)
        meta = _fields(_first(_fields(self.raw), 1))
        self.name = _first(meta, 1).decode()
        self.labels = {}
        for number, entry in meta:
            if number == 11 and isinstance(entry, bytes):
                pair = _fields(entry)
                self.labels[_first(pair, 1).decode()] = _first(pair, 2).decode()
        self.body = body


def _protobuf_list(kind: str, records: list[Record]) -> bytes:
    type_meta = _field(1, b"v1") + _field(2, f"{kind}List".encode())
    items = _field(1, _field(2, b"1")) + b"".join(_field(2, r.raw) for r in records)
    return ENVELOPE + _field(1, type_meta) + _field(2, items)


def make_handler(store: Store) -> type[BaseHTTPRequestHandler]:
    gvs = _group_versions()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, delayed ACKs cost 40 ms
            # a request.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_bytes(self, code: int, data: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any] | None:
            """The request's object, or None when it is not JSON; the bytes stay in self.raw."""
            length = int(self.headers.get("Content-Length") or 0)
            self.raw = self.rfile.read(length) if length else b""
            if "json" not in (self.headers.get("Content-Type") or ""):
                return None
            parsed: dict[str, Any] = json.loads(self.raw or b"{}")
            return parsed

        def _protobuf_body(self) -> bool:
            return (self.headers.get("Content-Type") or "").startswith(PROTOBUF)

        def _discovery(self, path: str) -> dict[str, Any] | None:
            if path == "/version":
                return {"major": "1", "minor": "33", "gitVersion": "v1.33.0", "platform": "linux/amd64"}
            if path == "/openapi/v3":
                return {
                    "paths": {
                        ("api/" if "/" not in gv else "apis/") + gv: {
                            "serverRelativeURL": f"/openapi/v3/{'api' if '/' not in gv else 'apis'}/{gv}?hash=0"
                        }
                        for gv in gvs
                    }
                }
            if path.startswith("/openapi/v3/"):
                # Open schemas: the client checks little against them (the tests validate
                # every object against the Kubernetes schemas instead).
                gv = path.removeprefix("/openapi/v3/").split("/", 1)[1]
                group, _, version = gv.rpartition("/")
                schemas = {
                    f"fake.{gv}.{kind}": {
                        "type": "object",
                        "x-kubernetes-group-version-kind": [{"group": group, "version": version, "kind": kind}],
                    }
                    for kind, _, _, _ in gvs.get(gv, [])
                }
                return {
                    "openapi": "3.0.0",
                    "info": {"title": "fake", "version": "v1"},
                    "paths": {},
                    "components": {"schemas": schemas},
                }
            if path == "/api":
                return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
            if path == "/apis":
                groups: dict[str, list[str]] = {}
                for gv in gvs:
                    if "/" in gv:
                        group, version = gv.split("/")
                        groups.setdefault(group, []).append(version)
                return {
                    "kind": "APIGroupList",
                    "apiVersion": "v1",
                    "groups": [
                        {
                            "name": group,
                            "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in versions],
                            "preferredVersion": {"groupVersion": f"{group}/{versions[0]}", "version": versions[0]},
                        }
                        for group, versions in groups.items()
                    ],
                }
            gv = path.removeprefix("/api/").removeprefix("/apis/")
            if gv in gvs and path in (f"/api/{gv}", f"/apis/{gv}"):
                return {
                    "kind": "APIResourceList",
                    "apiVersion": "v1",
                    "groupVersion": gv,
                    "resources": [
                        {
                            "name": plural,
                            "singularName": singular,
                            "namespaced": namespaced,
                            "kind": kind,
                            "verbs": VERBS,
                        }
                        for kind, plural, singular, namespaced in gvs[gv]
                    ],
                }
            return None

        def _route(self) -> tuple[tuple[str, str, str], str | None, dict[str, list[str]]] | None:
            url = urlsplit(self.path)
            match = PATH.match(url.path)
            if not match:
                return None
            gv = match["core"] or f"{match['group']}/{match['version']}"
            return (gv, match["plural"], match["ns"] or ""), match["name"], parse_qs(url.query)

        def do_GET(self) -> None:
            with store.lock:
                store.requests.append(f"GET {self.path}")
            path = urlsplit(self.path).path
            if path == "/openapi/v2":
                # Clients ask for it as protobuf; a document with no definitions (only
                # `swagger: "2.0"`, field 1) makes client-side validation skip every kind. The
                # tests validate every object against the Kubernetes schemas instead.
                data = b"\n\x032.0"
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            found = self._discovery(path)
            if found is not None:
                self._send(200, found)
                return
            route = self._route()
            if route is None:
                self._send(404, _status(404, "NotFound", path))
                return
            (gv, plural, ns), name, query = route
            if "true" in query.get("watch", []) or "1" in query.get("watch", []):
                # An empty watch stream that ends at once: the informer lists again.
                self._send(200, {})
                return
            with store.lock:
                record = store.records.get((gv, plural, ns, name or ""))
                if record is not None:
                    self._send_bytes(200, record.body, PROTOBUF)
                    return
                selector = dict(
                    term.split("=", 1)
                    for term in ",".join(query.get("labelSelector", [])).split(",")
                    if "=" in term and "!" not in term
                )
                if not name and selector.get("owner") == "helm":
                    records = [
                        r
                        for (g, p, n, _), r in store.records.items()
                        if (g, p, n) == (gv, plural, ns) and selector.items() <= r.labels.items()
                    ]
                    kind = next(k for k, pl, _, _ in gvs[gv] if pl == plural)
                    self._send_bytes(200, _protobuf_list(kind, records), PROTOBUF)
                    return
                if name:
                    obj = store.objects.get((gv, plural, ns, name))
                    if obj is None:
                        self._send(404, _status(404, "NotFound", f'{plural} "{name}" not found'))
                    else:
                        self._send(200, obj)
                    return
                wanted = None
                for selector in query.get("fieldSelector", []):
                    if selector.startswith("metadata.name="):
                        wanted = selector.split("=", 1)[1]
                items = [
                    obj
                    for (g, p, n, nm), obj in store.objects.items()
                    if g == gv and p == plural and n == ns and (wanted is None or nm == wanted)
                ]
            kind = next(k for k, pl, _, _ in gvs.get(gv, []) if pl == plural) if gv in gvs else "Object"
            self._send(
                200, {"kind": f"{kind}List", "apiVersion": gv, "metadata": {"resourceVersion": "1"}, "items": items}
            )

        def do_POST(self) -> None:
            route = self._route()
            body = self._body()
            record = Record(self.raw) if body is None and self._protobuf_body() else None
            name = record.name if record else (body or {}).get("metadata", {}).get("name", "")
            # Logged as "POST <collection path>/<name>".
            with store.lock:
                store.requests.append(f"POST {urlsplit(self.path).path}/{name}")
            if route is None or (body is None and record is None):
                self._send(404, _status(404, "NotFound", self.path))
                return
            (gv, plural, ns), _, _ = route
            if record is not None:
                with store.lock:
                    store.records[(gv, plural, ns, record.name)] = record
                self._send_bytes(201, record.body, PROTOBUF)
                return
            assert body is not None
            meta = body.setdefault("metadata", {})
            key = (gv, plural, ns, meta.get("name", ""))
            with store.lock:
                if key in store.objects:
                    self._send(409, _status(409, "AlreadyExists", f"{plural} {key[3]} exists"))
                    return
                store.created.append(json.loads(json.dumps(body)))
                meta.setdefault("namespace", ns or None)
                meta.update(uid=str(uuid.uuid4()), resourceVersion="1", creationTimestamp="2026-01-01T00:00:00Z")
                if body.get("kind") == "Job":
                    body["status"] = {
                        "succeeded": 1,
                        "conditions": [
                            {"type": "SuccessCriteriaMet", "status": "True"},
                            {"type": "Complete", "status": "True"},
                        ],
                    }
                store.objects[key] = body
            self._send(201, body)

        def do_PUT(self) -> None:
            self.do_PATCH()

        def do_PATCH(self) -> None:
            route = self._route()
            body = self._body()
            with store.lock:
                store.requests.append(f"{self.command} {urlsplit(self.path).path}")
                key = (*route[0], route[1] or "") if route else None
                obj = store.objects.get(key) if key else None
            if key is not None and body is None and self._protobuf_body():
                # A release record's new state (PUT): kept as sent.
                record = Record(self.raw)
                with store.lock:
                    store.records[key] = record
                self._send_bytes(200, record.body, PROTOBUF)
            elif obj is None:
                self._send(404, _status(404, "NotFound", self.path))
            else:
                self._send(200, obj)

        def do_DELETE(self) -> None:
            route = self._route()
            self._body()
            with store.lock:
                store.requests.append(f"DELETE {urlsplit(self.path).path}")
                key = (*route[0], route[1] or "") if route else None
                obj = store.objects.pop(key, None) if key else None
                obj = obj or (store.records.pop(key, None) if key else None)
            if obj is None:
                self._send(404, _status(404, "NotFound", self.path))
            else:
                self._send(200, _status(200, "", "deleted"))

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients drop watch connections mid-answer; that is no error here."""


class FakeApiServer:
    def __init__(self) -> None:
        self.store = Store()
        self.server = _QuietServer(("127.0.0.1", 0), make_handler(self.store))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def kubeconfig(self) -> str:
        """A kubeconfig (YAML text) pointing at this server."""
        return (
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
            f"clusters:\n- name: fake\n  cluster:\n    server: {self.url}\n"
            "users:\n- name: fake\n  user:\n    token: fake\n"
            "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n"
        )

    def __enter__(self) -> FakeApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
