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

        def _body(self) -> dict[str, Any] | None:
            """The request's object, or None when it is not JSON (Helm's release records
            travel as protobuf: they are not part of the chart)."""
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if "json" not in (self.headers.get("Content-Type") or ""):
                return None
            parsed: dict[str, Any] = json.loads(raw or b"{}")
            return parsed

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
                return {"openapi": "3.0.0", "info": {"title": "fake", "version": "v1"}, "paths": {},
                        "components": {"schemas": schemas}}
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
                        {"name": plural, "singularName": singular, "namespaced": namespaced, "kind": kind, "verbs": VERBS}
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
                    obj for (g, p, n, nm), obj in store.objects.items()
                    if g == gv and p == plural and n == ns and (wanted is None or nm == wanted)
                ]
            kind = next(k for k, pl, _, _ in gvs.get(gv, []) if pl == plural) if gv in gvs else "Object"
            self._send(200, {"kind": f"{kind}List", "apiVersion": gv, "metadata": {"resourceVersion": "1"}, "items": items})

        def do_POST(self) -> None:
            route = self._route()
            body = self._body()
            # Logged as "POST <collection path>/<name>" ("(release record)" for Helm's own).
            name = (body or {}).get("metadata", {}).get("name", "(release record)")
            with store.lock:
                store.requests.append(f"POST {urlsplit(self.path).path}/{name}")
            if route is None:
                self._send(404, _status(404, "NotFound", self.path))
                return
            (gv, plural, ns), _, _ = route
            if body is None:
                kind = next(k for k, pl, _, _ in gvs[gv] if pl == plural)
                self._send(201, {"kind": kind, "apiVersion": gv, "metadata": {"name": "opaque", "namespace": ns}})
                return
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
                store.requests.append(f"{self.command} {self.path}")
                obj = store.objects.get((*route[0], route[1] or "")) if route else None
            if obj is None and route is not None and body is None:
                (gv, plural, ns), name, _ = route
                kind = next(k for k, pl, _, _ in gvs[gv] if pl == plural)
                self._send(200, {"kind": kind, "apiVersion": gv, "metadata": {"name": name, "namespace": ns}})
            elif obj is None:
                self._send(404, _status(404, "NotFound", self.path))
            else:
                self._send(200, obj)

        def do_DELETE(self) -> None:
            route = self._route()
            self._body()
            with store.lock:
                store.requests.append(f"DELETE {self.path}")
                obj = store.objects.pop((*route[0], route[1] or ""), None) if route else None
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
