// The browser's 0x2A37 parser, on the same vectors as the server's (tests/unit/test_hr_ble.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import { MalformedMeasurement, parseMeasurement } from "../../src/setpoint/web/static/js/ble.js";

const m = (bpm, contact, energy_kj, rr_s) => ({ bpm, contact, energy_kj, rr_s });

test("uint8 value without contact support", () => {
  assert.deepEqual(parseMeasurement([0x00, 72]), m(72, null, null, []));
});

test("uint16 value", () => {
  assert.equal(parseMeasurement([0x01, 0x2c, 0x01]).bpm, 300);
});

test("contact bits", () => {
  for (const [flags, contact] of [
    [0x00, null],
    [0x02, null],
    [0x04, false],
    [0x06, true],
  ]) {
    assert.equal(parseMeasurement([flags, 80]).contact, contact);
  }
});

test("energy expended", () => {
  assert.deepEqual(parseMeasurement([0x08, 130, 0x02, 0x01]), m(130, null, 258, []));
});

test("several RR intervals", () => {
  const data = [0x16, 60, 0x00, 0x04, 0x00, 0x03, 0x00, 0x02];
  assert.deepEqual(parseMeasurement(data), m(60, true, null, [1.0, 0.75, 0.5]));
});

test("everything present, from a DataView as Web Bluetooth gives it", () => {
  const bytes = new Uint8Array([0xff, 0x1f, 0xa0, 0x00, 0xe8, 0x03, 0x80, 0x01]);
  const view = new DataView(bytes.buffer, 1); // not at the buffer's start
  assert.deepEqual(parseMeasurement(view), m(160, true, 1000, [0.375]));
});

test("RR flag with no interval yet", () => {
  assert.deepEqual(parseMeasurement([0x10, 65]).rr_s, []);
});

test("reserved bits are ignored", () => {
  assert.deepEqual(parseMeasurement([0xe0, 99]), m(99, null, null, []));
});

test("malformed measurements, with the server's messages", () => {
  const cases = [
    [[], "empty"],
    [[0x00], "1 bytes, but flags 0x00 need at least 2"],
    [[0x01, 0x50], "2 bytes, but flags 0x01 need at least 3"],
    [[0x08, 0x50, 0x01], "3 bytes, but flags 0x08 need at least 4"],
    [[0x10, 0x50, 0x00, 0x04, 0x00], "RR intervals are 2 bytes each, 3 bytes remain"],
    [[0x00, 0x50, 0x00], "1 unexpected bytes after byte 2"],
  ];
  for (const [data, message] of cases) {
    assert.throws(
      () => parseMeasurement(data),
      (error) => error instanceof MalformedMeasurement && error.message.includes(message),
    );
  }
});

test("round trip through an independent encoder", () => {
  const encode = ({ bpm, contact, energy_kj, rr_s }, uint16) => {
    let flags = uint16 ? 0x01 : 0x00;
    if (contact !== null) flags |= 0x04 | (contact ? 0x02 : 0);
    if (energy_kj !== null) flags |= 0x08;
    if (rr_s.length) flags |= 0x10;
    const out = [flags, bpm & 0xff];
    if (uint16) out.push(bpm >> 8);
    if (energy_kj !== null) out.push(energy_kj & 0xff, energy_kj >> 8);
    for (const rr of rr_s) {
      const units = Math.round(rr * 1024);
      out.push(units & 0xff, units >> 8);
    }
    return out;
  };
  let seed = 7;
  const random = (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 500; i += 1) {
    const uint16 = random(2) === 1;
    const measurement = {
      bpm: random(uint16 ? 0x10000 : 0x100),
      contact: [null, true, false][random(3)],
      energy_kj: random(2) ? null : random(0x10000),
      rr_s: Array.from({ length: random(10) }, () => random(0x10000) / 1024),
    };
    assert.deepEqual(parseMeasurement(encode(measurement, uint16)), measurement);
  }
});
