"""Which addresses a webhook may reach, and how a URL is pinned to the address checked."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import pytest

from setpoint.notifications import destinations
from setpoint.notifications.destinations import REFUSED, DestinationRefused, is_public


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "fe80::1",
        "fc00::1",
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "224.0.1.1",
        "ff0e::1",
        "240.0.0.1",
        "255.255.255.255",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
    """The event loop's resolver answers `answers` (name → addresses), and nothing else."""

    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)


async def test_a_name_is_refused_when_any_of_its_addresses_is_internal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolving(monkeypatch, {"mixed.example": ["93.184.215.14", "10.0.0.7"]})
    with pytest.raises(DestinationRefused) as refused:
        await destinations.resolve("https://mixed.example:8443/hook", allow_private=False)
    assert str(refused.value) == REFUSED
    assert "8443" not in str(refused.value) and "10.0.0.7" not in str(refused.value)


async def test_the_call_goes_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    resolving(monkeypatch, {"hooks.example": ["2606:4700:4700::1111", "93.184.215.14"]})
    to = await destinations.resolve("https://u:p@hooks.example/a/b?c=1", allow_private=False)
    assert to.url == "https://u:p@[2606:4700:4700::1111]:443/a/b?c=1"
    assert to.host == "hooks.example" and to.sni_hostname == "hooks.example"

    plain = await destinations.resolve("http://93.184.215.14:8080/x", allow_private=False)
    assert plain.url == "http://93.184.215.14:8080/x" and plain.sni_hostname is None


async def test_private_addresses_pass_when_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    resolving(monkeypatch, {"printer.lan": ["192.168.1.20"]})
    to = await destinations.resolve("http://printer.lan:9000/hook", allow_private=True)
    assert to.url == "http://192.168.1.20:9000/hook" and to.host == "printer.lan:9000"
    await destinations.check("http://127.0.0.1:1/", allow_private=True)  # not even resolved


async def test_a_name_that_does_not_resolve_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    resolving(monkeypatch, {})
    with pytest.raises(DestinationRefused):
        await destinations.check("https://nowhere.example/", allow_private=False)
