"""The Heart Rate Measurement parser, on byte vectors written by hand from the GATT spec."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setpoint.heartrate.ble import HeartRateMeasurement, MalformedMeasurement, parse_measurement


def test_uint8_value_without_contact_support() -> None:
    assert parse_measurement(bytes([0x00, 72])) == HeartRateMeasurement(72, None, None, ())


def test_uint16_value() -> None:
    # flags 0x01: uint16; 0x012C = 300, little-endian
    assert parse_measurement(bytes([0x01, 0x2C, 0x01])).bpm == 300


@pytest.mark.parametrize(
    ("flags", "contact"),
    [(0x00, None), (0x02, None), (0x04, False), (0x06, True)],
)
def test_contact_bits(flags: int, contact: bool | None) -> None:
    assert parse_measurement(bytes([flags, 80])).contact is contact


def test_energy_expended() -> None:
    # flags 0x08: uint8 value, energy 0x0102 = 258 kJ
    m = parse_measurement(bytes([0x08, 130, 0x02, 0x01]))
    assert (m.bpm, m.energy_kj, m.rr_s) == (130, 258, ())


def test_several_rr_intervals() -> None:
    # flags 0x16: uint8 value, contact supported and detected, RR present;
    # 1024/1024 = 1.0 s, 0x0300 = 768 → 0.75 s, 0x0200 = 512 → 0.5 s
    m = parse_measurement(bytes([0x16, 60, 0x00, 0x04, 0x00, 0x03, 0x00, 0x02]))
    assert m == HeartRateMeasurement(60, True, None, (1.0, 0.75, 0.5))


def test_everything_present() -> None:
    # flags 0x1F: uint16 value 0x00A0 = 160, contact detected, energy 0x03E8 = 1000 kJ,
    # RR 0x0180 = 384 → 0.375 s
    data = bytes([0x1F, 0xA0, 0x00, 0xE8, 0x03, 0x80, 0x01])
    assert parse_measurement(data) == HeartRateMeasurement(160, True, 1000, (0.375,))


def test_rr_flag_with_no_interval_yet() -> None:
    assert parse_measurement(bytes([0x10, 65])).rr_s == ()


def test_reserved_bits_are_ignored() -> None:
    assert parse_measurement(bytes([0xE0, 99])) == HeartRateMeasurement(99, None, None, ())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (bytes([0x00]), "1 bytes, but flags 0x00 need at least 2"),
        (bytes([0x01, 0x50]), "2 bytes, but flags 0x01 need at least 3"),
        (bytes([0x08, 0x50, 0x01]), "3 bytes, but flags 0x08 need at least 4"),
        (bytes([0x10, 0x50, 0x00, 0x04, 0x00]), "RR intervals are 2 bytes each, 3 bytes remain"),
        (bytes([0x00, 0x50, 0x00]), "1 unexpected bytes after byte 2"),
    ],
)
def test_malformed(data: bytes, message: str) -> None:
    with pytest.raises(MalformedMeasurement, match=message):
        parse_measurement(data)


def test_malformed_is_a_value_error() -> None:
    assert issubclass(MalformedMeasurement, ValueError)


def encode(m: HeartRateMeasurement, *, uint16: bool) -> bytes:
    """The spec's layout, written independently of the parser."""
    flags = 0x01 if uint16 else 0x00
    if m.contact is not None:
        flags |= 0x04 | (0x02 if m.contact else 0)
    if m.energy_kj is not None:
        flags |= 0x08
    if m.rr_s:
        flags |= 0x10
    out = bytearray([flags])
    out += m.bpm.to_bytes(2 if uint16 else 1, "little")
    if m.energy_kj is not None:
        out += m.energy_kj.to_bytes(2, "little")
    for rr in m.rr_s:
        out += round(rr * 1024).to_bytes(2, "little")
    return bytes(out)


@st.composite
def measurements(draw: st.DrawFn) -> tuple[HeartRateMeasurement, bool]:
    uint16 = draw(st.booleans())
    rr_units = draw(st.lists(st.integers(0, 0xFFFF), max_size=9))
    m = HeartRateMeasurement(
        bpm=draw(st.integers(0, 0xFFFF if uint16 else 0xFF)),
        contact=draw(st.none() | st.booleans()),
        energy_kj=draw(st.none() | st.integers(0, 0xFFFF)),
        rr_s=tuple(u / 1024 for u in rr_units),
    )
    return m, uint16


@given(measurements())
def test_round_trip(case: tuple[HeartRateMeasurement, bool]) -> None:
    m, uint16 = case
    assert parse_measurement(encode(m, uint16=uint16)) == m
