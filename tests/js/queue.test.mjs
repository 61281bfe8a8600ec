// The offline queue: persisted, sent in order with stable Idempotency-Keys, answers win.
import assert from "node:assert/strict";
import { test } from "node:test";

import { OfflineQueue, newKey } from "../../src/setpoint/web/static/js/queue.js";

class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
}

const counter = () => {
  let n = 0;
  return () => `k${++n}`;
};

test("actions wait in storage, and a new page sees them", () => {
  const storage = new MemoryStorage();
  const queue = new OfflineQueue(storage, counter());
  queue.add({ kind: "command", session_id: "s1", command: "pause" });
  queue.add({ kind: "set", session_id: "s1", set: { position: 0, reps: 5 } });
  const reloaded = new OfflineQueue(storage);
  assert.equal(reloaded.size, 2);
  assert.deepEqual(
    reloaded.items.map((i) => i.key),
    ["k1", "k2"],
  );
});

test("sent in order; a network failure keeps the rest, with the same keys, for later", async () => {
  const queue = new OfflineQueue(new MemoryStorage(), counter());
  queue.add({ kind: "command", command: "pause" });
  queue.add({ kind: "command", command: "resume" });
  queue.add({ kind: "command", command: "skip" });
  const sent = [];
  let online = true;
  const send = async (item) => {
    if (!online) throw new TypeError("Failed to fetch");
    sent.push(`${item.command}:${item.key}`);
    online = item.command !== "pause"; // the network drops after the first request
    return { body: { ok: true } };
  };
  await queue.flush(send);
  assert.deepEqual(sent, ["pause:k1"]);
  assert.equal(queue.size, 2);
  online = true;
  await queue.flush(send);
  assert.deepEqual(sent, ["pause:k1", "resume:k2", "skip:k3"]);
  assert.equal(queue.size, 0);
});

test("a refusal from the server is reported and not retried", async () => {
  const queue = new OfflineQueue(new MemoryStorage(), counter());
  queue.add({ kind: "command", command: "resume" });
  queue.add({ kind: "command", command: "pause" });
  const refusal = Object.assign(new Error("session is not paused"), { status: 409 });
  const answers = [];
  await queue.flush(
    async (item) => {
      if (item.command === "resume") throw refusal;
      return { body: { status: "paused" } };
    },
    (item, answer) => answers.push([item.command, answer]),
  );
  assert.deepEqual(answers, [
    ["resume", { error: refusal }],
    ["pause", { body: { status: "paused" } }],
  ]);
  assert.equal(queue.size, 0);
});

test("one flush at a time: a second call while sending does not send twice", async () => {
  const queue = new OfflineQueue(new MemoryStorage(), counter());
  queue.add({ kind: "command", command: "pause" });
  let calls = 0;
  const send = async () => {
    calls += 1;
    await new Promise((resolve) => setTimeout(resolve, 10));
    return { body: {} };
  };
  await Promise.all([queue.flush(send), queue.flush(send)]);
  assert.equal(calls, 1);
});

test("keys are random and long enough to be unique", () => {
  const keys = new Set(Array.from({ length: 100 }, newKey));
  assert.equal(keys.size, 100);
  for (const key of keys) assert.match(key, /^[0-9a-f]{32}$/);
});

test("an action sent with an expired sign-in waits for the next sign-in", async () => {
  const queue = new OfflineQueue(new MemoryStorage(), counter());
  queue.add({ kind: "set", session_id: "s1", set: { position: 0, reps: 5 } });
  const expired = Object.assign(new Error("sign in again"), { status: 401 });
  const answered = [];
  await queue.flush(async () => { throw expired; }, (item, answer) => answered.push(answer));
  assert.equal(queue.size, 1);
  assert.deepEqual(answered, []);
  await queue.flush(async () => ({ ok: true }), (item, answer) => answered.push(answer));
  assert.equal(queue.size, 0);
  queue.add({ kind: "command", session_id: "s1", command: "pause" });
  queue.clear();
  assert.equal(queue.size, 0);
});
