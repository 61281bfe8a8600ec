"""The Bluetooth Heart Rate Measurement characteristic (0x2A37), parsed (pure).

Layout, little-endian (Bluetooth GATT Heart Rate Service):
- flags, uint8: bit 0 the value format (1 = uint16, 0 = uint8); bits 1–2 sensor contact
  (bit 2 = contact detection supported, bit 1 = contact detected); bit 3 energy expended
  present; bit 4 RR intervals present; bits 5–7 reserved.
- the heart rate, uint8 or uint16 bpm;
- the energy expended, uint16 kJ, when bit 3 is set;
- RR intervals, uint16 each in 1/1024 s, as many as remain, when bit 4 is set.
"""

from __future__ import annotations

from dataclasses import dataclass

HEART_RATE_SERVICE_UUID = "0000180d-0000-1000-8000-00805f9b34fb"
HEART_RATE_MEASUREMENT_UUID = "00002a37-0000-1000-8000-00805f9b34fb"

VALUE_UINT16 = 0x01
CONTACT_DETECTED = 0x02
CONTACT_SUPPORTED = 0x04
ENERGY_PRESENT = 0x08
RR_PRESENT = 0x10
RR_UNITS_PER_S = 1024


class MalformedMeasurement(ValueError):
    """The bytes are not a Heart Rate Measurement."""


@dataclass(frozen=True, slots=True)
class HeartRateMeasurement:
    bpm: int
    contact: bool | None  # None when the sensor does not detect contact
    energy_kj: int | None
    rr_s: tuple[float, ...]


def parse_measurement(data: bytes) -> HeartRateMeasurement:
    """The measurement in `data`; `MalformedMeasurement` when the bytes do not fit the flags."""
    if not data:
        raise MalformedMeasurement("heart rate measurement: empty")
    flags = data[0]
    needed = 2 + (1 if flags & VALUE_UINT16 else 0) + (2 if flags & ENERGY_PRESENT else 0)
    if len(data) < needed:
        raise MalformedMeasurement(
            f"heart rate measurement: {len(data)} bytes, but flags 0x{flags:02x} need at least"
            f" {needed}"
        )
    if flags & VALUE_UINT16:
        bpm, pos = _uint16(data, 1), 3
    else:
        bpm, pos = data[1], 2
    energy_kj = None
    if flags & ENERGY_PRESENT:
        energy_kj, pos = _uint16(data, pos), pos + 2
    rest = data[pos:]
    if not flags & RR_PRESENT and rest:
        raise MalformedMeasurement(
            f"heart rate measurement: {len(rest)} unexpected bytes after byte {pos}"
            f" (flags 0x{flags:02x} announce no RR intervals)"
        )
    if len(rest) % 2:
        raise MalformedMeasurement(
            f"heart rate measurement: RR intervals are 2 bytes each, {len(rest)} bytes remain"
        )
    rr_s = tuple(_uint16(rest, i) / RR_UNITS_PER_S for i in range(0, len(rest), 2))
    contact = bool(flags & CONTACT_DETECTED) if flags & CONTACT_SUPPORTED else None
    return HeartRateMeasurement(bpm, contact, energy_kj, rr_s)


def _uint16(data: bytes, pos: int) -> int:
    return int.from_bytes(data[pos : pos + 2], "little")
