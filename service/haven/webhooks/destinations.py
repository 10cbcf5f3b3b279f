"""Where webhooks may go: never to link-local, multicast or reserved addresses (the
cloud metadata service lives at 169.254.169.254), and optionally not to private ones."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


def _refusal(address: str, allow_private: bool) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return f"{ip} is a link-local, multicast or reserved address"
    if not allow_private and (ip.is_private or ip.is_loopback):
        return f"{ip} is a private address (HAVEN_WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)"
    return None


def _host(url: str) -> str | None:
    """The URL's host, or None when it does not parse (e.g. `http://[::1`)."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return None


def literal_refusal(url: str, *, allow_private: bool) -> str | None:
    """Why a URL naming an IP address may not be subscribed; None for host names."""
    host = _host(url)
    if host is None:
        return "the URL's host does not parse"
    try:
        return _refusal(host, allow_private)
    except ValueError:
        return None


def destination_refusal(url: str, *, allow_private: bool) -> str | None:
    """Why Haven will not send to this URL now (every address its host resolves to is
    checked), or None. A host that does not resolve is left to fail as a delivery."""
    host = _host(url)
    if host is None:
        return "the URL's host does not parse"
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None
    for info in infos:
        reason = _refusal(str(info[4][0]), allow_private)
        if reason is not None:
            return reason
    return None
