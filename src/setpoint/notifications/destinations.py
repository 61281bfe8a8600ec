"""Where a webhook may be delivered: public internet addresses only, unless the operator allows
private ones (`webhook_allow_private`), so that a webhook cannot make the server call its own
network (loopback, the LAN, a cloud metadata service).

A name is resolved on every delivery and each of its addresses checked; the call then goes
to the checked address (`Destination`), so a name that resolves differently between the
check and the call cannot redirect it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
REFUSED = "destination refused: not a public address"
UNRESOLVED = "the host name does not resolve"


class DestinationRefused(Exception):
    """The webhook's host is not a public address, or does not resolve; `str()` is the reason,
    coarse enough to show its owner (no port, no address)."""


def is_public(address: IPAddress) -> bool:
    """A global unicast address; IPv6 forms that carry an IPv4 address (mapped, 6to4,
    Teredo) are judged by the IPv4 address too."""
    embedded: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            embedded.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            embedded.append(address.sixtofour)
        if address.teredo is not None:
            embedded.extend(address.teredo)
    return all(
        a.is_global and not (a.is_multicast or a.is_reserved or a.is_unspecified) for a in embedded
    )


@dataclass(frozen=True, slots=True)
class Destination:
    """A webhook URL with its host resolved: call `url` (the address in place of the name),
    with `host` as the `Host` header and `sni_hostname` for TLS (certificates are checked
    against the name)."""

    url: str
    host: str
    sni_hostname: str | None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def addresses(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, with the event loop's resolver (a literal address is
    itself). Raises `DestinationRefused` when the name does not resolve."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DestinationRefused(UNRESOLVED) from None
    found = [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]
    if not found:
        raise DestinationRefused(UNRESOLVED)
    return found


async def check(url: str, allow_private: bool) -> None:
    """Refuse a URL whose host is (or resolves to) an address that is not public."""
    if not allow_private:
        await resolve(url, allow_private)


async def resolve(url: str, allow_private: bool) -> Destination:
    """Where to send a call to `url`: resolved, every address checked, the first one chosen."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    found = await addresses(host, port)
    if not allow_private and not all(is_public(a) for a in found):
        raise DestinationRefused(REFUSED)
    chosen = found[0]
    userinfo, at, host_header = parts.netloc.rpartition("@")  # userinfo is not part of Host
    address = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    return Destination(
        url=parts._replace(netloc=f"{userinfo}{at}{address}:{port}").geturl(),
        host=host_header,
        sni_hostname=host if parts.scheme == "https" and _literal(host) is None else None,
    )
