"""The SSRF guard: which addresses a fetch may connect to, enforced at connect time.

A feed URL comes from a blogroll or a redirect, so it may point anywhere,
including the machine's own services. By default only public addresses are
allowed. The check runs on the addresses DNS returns, before any connection
is opened, and the socket is then connected to a checked address, so a name
that resolves differently a moment later (DNS rebinding) cannot slip through.
Every redirect hop opens its connection through the same check.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from aggregator.errors import AddressRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses are allowed; others only inside ``allowed`` networks."""

    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_strings(cls, networks: Iterable[str]) -> AddressPolicy:
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` may not be connected to, or None when it may."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed):
            return None
        # Most specific first: Python counts link-local and 0.0.0.0 as private too.
        for label, flag in (
            ("loopback", address.is_loopback),
            ("link-local", address.is_link_local),
            ("multicast", address.is_multicast),
            ("unspecified", address.is_unspecified),
            ("reserved", address.is_reserved),
            ("private", address.is_private),
        ):
            if flag:
                return label
        if not address.is_global:
            return "not global"
        return None


def connect_checked(
    policy: AddressPolicy,
    host: str,
    port: int,
    timeout: float | None,
    source_address: tuple[str, int] | None = None,
    socket_options: Sequence[tuple[int, int, Any]] | None = None,
) -> socket.socket:
    """Resolve ``host``, refuse it if any address is not allowed, else connect to one."""
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        reason = policy.refusal(address)
        if reason is not None:
            network = "0.0.0.0/0" if address.version == 4 else "::/0"
            raise AddressRefused(
                f"{host} resolves to {address}, a {reason} address; refused to prevent "
                f"requests to internal services. To allow it, add its network to "
                f'[fetch] allow_networks (for example "{address}/{address.max_prefixlen}"'
                f' or, to allow everything, "{network}")'
            )
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"no address for {host}")


def guarded_pool_classes(
    policy: AddressPolicy,
) -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pool classes whose connections go through ``connect_checked``."""

    def new_conn(self: HTTPConnection) -> socket.socket:
        try:
            return connect_checked(
                policy,
                self._dns_host,
                self.port,
                self.timeout,
                self.source_address,
                self.socket_options,
            )
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from exc
        except AddressRefused:
            raise
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc

    http_conn = type("GuardedHTTPConnection", (HTTPConnection,), {"_new_conn": new_conn})
    https_conn = type("GuardedHTTPSConnection", (HTTPSConnection,), {"_new_conn": new_conn})
    http_pool = type(
        "GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}
    )
    https_pool = type(
        "GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}
    )
    return {"http": http_pool, "https": https_pool}
