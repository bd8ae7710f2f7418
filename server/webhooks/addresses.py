"""Which webhook URLs may be called: HTTPS to public addresses only (unless the setting allows private ones).

A URL is checked when it is registered and again before every attempt, since
a name may resolve elsewhere later (DNS rebinding). Every address the host
resolves to must be public: one private answer refuses the URL.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from server.errors import AppError


class WebhookUrlError(AppError):
    """A webhook URL that cannot be used; ``code`` says why."""

    status, code, message_zh = 422, "webhook.url_invalid", "推送地址无效"


Resolver = Callable[[str, int], list[str]]


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


resolve: Resolver = _resolve  # replaceable in tests that need a name to resolve somewhere fixed


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url: str, allow_private: bool) -> str:
    """The URL, normalised, or a 422 with a stable code: malformed, not HTTPS, unresolvable or private."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookUrlError("the URL is malformed", errors={"url": ["malformed"]}) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise WebhookUrlError("the URL must be an absolute https:// URL", errors={"url": ["malformed"]})
    if parts.username or parts.password:
        raise WebhookUrlError("the URL must not carry credentials", errors={"url": ["credentials"]})
    if parts.scheme != "https" and not allow_private:
        raise WebhookUrlError("webhooks are sent over HTTPS only", code="webhook.url_not_https",
                              message_zh="推送地址必须使用 HTTPS", errors={"url": ["not_https"]})
    host = parts.hostname
    try:
        addresses = resolve(host, port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise WebhookUrlError(f"the host {host} does not resolve", code="webhook.url_unresolvable",
                              message_zh="推送地址的主机名无法解析", errors={"url": ["unresolvable"]})
    if not allow_private and any(_refused(a) for a in addresses):
        raise WebhookUrlError(f"the host {host} resolves to a private, loopback or link-local address",
                              code="webhook.url_private", message_zh="推送地址不能指向内网、本机或链路本地地址",
                              errors={"url": ["private_address"]})
    return url
