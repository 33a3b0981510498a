"""Where a webhook delivery may go: public addresses only, unless internal receivers are allowed.

An admin in kilowatch is an application role, not someone trusted with the network: a
webhook aimed at 127.0.0.1, a private network or a cloud metadata address would let the
API process probe them (connection errors against HTTP statuses tell open ports from
closed ones). So the host is resolved at send time, every address it resolves to must be
public, and the request goes to the address that was checked (the original host name
stays in ``Host`` and in TLS's SNI and certificate check), so that a DNS answer changed in
between cannot swap the target.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from collections.abc import Callable
from typing import NamedTuple

#: getaddrinfo's signature, replaceable in tests.
Resolver = Callable[..., list]


class Target(NamedTuple):
    """A request's URL with the host replaced by a checked address, and what keeps the name."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, str]


class Refused(Exception):
    """The URL leads to an address deliveries may not reach; retrying will not help."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def pinned(url: str, resolve: Resolver = socket.getaddrinfo, allowed: Callable[[str], bool] = is_public) -> Target:
    """The request target for ``url`` on a checked public address; ``Refused`` otherwise."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname
    if not host:
        raise Refused("the URL has no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"cannot resolve the host ({type(exc).__name__})") from None
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        raise Refused("the host resolves to no address")
    private = [a for a in addresses if not allowed(a)]
    if private:
        raise Refused(
            "the host resolves to a loopback, private or reserved address; "
            "set api.webhook_allow_private to deliver to internal receivers"
        )
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return Target(urllib.parse.urlunsplit(parts._replace(netloc=netloc)), {"Host": host_header}, extensions)
