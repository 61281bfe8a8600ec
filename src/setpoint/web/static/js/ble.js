// The Bluetooth Heart Rate Measurement characteristic (0x2A37), with the same rules and
// messages as the server's parser (heartrate/ble.py). Layout, little-endian: flags (uint8:
// bit 0 uint16 value, bit 1 contact detected, bit 2 contact supported, bit 3 energy present,
// bit 4 RR present), the heart rate, the energy expended (uint16 kJ), RR intervals (uint16,
// 1/1024 s each).

const VALUE_UINT16 = 0x01;
const CONTACT_DETECTED = 0x02;
const CONTACT_SUPPORTED = 0x04;
const ENERGY_PRESENT = 0x08;
const RR_PRESENT = 0x10;
const RR_UNITS_PER_S = 1024;

export class MalformedMeasurement extends Error {
  name = "MalformedMeasurement";
}

const hex = (n) => n.toString(16).padStart(2, "0");

/** `{bpm, contact, energy_kj, rr_s}` from the characteristic's bytes (a Uint8Array,
 * DataView or array of numbers); `contact` is null when the sensor cannot detect it. */
export function parseMeasurement(input) {
  const data =
    input instanceof DataView
      ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      : Uint8Array.from(input);
  if (data.length === 0) throw new MalformedMeasurement("heart rate measurement: empty");
  const flags = data[0];
  const needed = 2 + (flags & VALUE_UINT16 ? 1 : 0) + (flags & ENERGY_PRESENT ? 2 : 0);
  if (data.length < needed) {
    throw new MalformedMeasurement(
      `heart rate measurement: ${data.length} bytes, but flags 0x${hex(flags)} need at least ${needed}`,
    );
  }
  const uint16 = (pos) => data[pos] | (data[pos + 1] << 8);
  let bpm;
  let pos;
  if (flags & VALUE_UINT16) [bpm, pos] = [uint16(1), 3];
  else [bpm, pos] = [data[1], 2];
  let energy_kj = null;
  if (flags & ENERGY_PRESENT) [energy_kj, pos] = [uint16(pos), pos + 2];
  const rest = data.length - pos;
  if (!(flags & RR_PRESENT) && rest > 0) {
    throw new MalformedMeasurement(
      `heart rate measurement: ${rest} unexpected bytes after byte ${pos} (flags 0x${hex(flags)} announce no RR intervals)`,
    );
  }
  if (rest % 2) {
    throw new MalformedMeasurement(
      `heart rate measurement: RR intervals are 2 bytes each, ${rest} bytes remain`,
    );
  }
  const rr_s = [];
  for (let i = pos; i < data.length; i += 2) rr_s.push(uint16(i) / RR_UNITS_PER_S);
  const contact = flags & CONTACT_SUPPORTED ? Boolean(flags & CONTACT_DETECTED) : null;
  return { bpm, contact, energy_kj, rr_s };
}

/** Whether this browser can talk to a strap (Chrome, Edge, Chrome Android). */
export function bluetoothAvailable(nav = globalThis.navigator) {
  return Boolean(nav && nav.bluetooth);
}

/** Ask for a heart-rate strap and call `onMeasurement(parsed)` for each notification;
 * reconnects when the strap drops. Resolves to the device's name. */
export async function connectStrap(onMeasurement, onStatus = () => {}) {
  const device = await navigator.bluetooth.requestDevice({
    filters: [{ services: ["heart_rate"] }],
  });
  const subscribe = async () => {
    const server = await device.gatt.connect();
    const service = await server.getPrimaryService("heart_rate");
    const characteristic = await service.getCharacteristic("heart_rate_measurement");
    characteristic.addEventListener("characteristicvaluechanged", (event) => {
      try {
        onMeasurement(parseMeasurement(event.target.value));
      } catch {
        // a malformed notification is skipped, like the bridge does
      }
    });
    await characteristic.startNotifications();
    onStatus(`Connected to ${device.name ?? "strap"}`);
  };
  device.addEventListener("gattserverdisconnected", async () => {
    onStatus("Strap disconnected, reconnecting…");
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await subscribe();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
      }
    }
    onStatus("Strap lost");
  });
  await subscribe();
  return device.name ?? "strap";
}
