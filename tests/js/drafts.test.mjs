// Drafts: hydrate from the newer of local and server; the server wins when newer or as new.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  changed,
  clearLocal,
  loadLocal,
  pickDraft,
  saveLocal,
} from "../../src/setpoint/web/static/js/drafts.js";

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
  removeItem(key) {
    this.items.delete(key);
  }
}

const iso = (epochS) => new Date(epochS * 1000).toISOString();
const local = (updated_at, entry, revision = 1) => ({
  session_id: "s1",
  revision,
  updated_at,
  synced: false,
  draft: { entry },
});
const server = (updated_at, entry, revision = 2) => ({
  revision,
  updated_at: iso(updated_at),
  draft: { entry },
});

test("the server's draft wins when it is newer", () => {
  const picked = pickDraft("s1", local(100, { reps: 5 }), server(200, { reps: 8 }));
  assert.deepEqual(picked.draft, { entry: { reps: 8 } });
  assert.equal(picked.synced, true);
  assert.equal(picked.revision, 2);
});

test("the server's draft wins a tie", () => {
  assert.deepEqual(pickDraft("s1", local(200, { reps: 5 }), server(200, { reps: 8 })).draft, {
    entry: { reps: 8 },
  });
});

test("a newer local draft wins, to be sent as of the server's revision", () => {
  const picked = pickDraft("s1", local(300, { reps: 5 }), server(200, { reps: 8 }));
  assert.deepEqual(picked.draft, { entry: { reps: 5 } });
  assert.equal(picked.synced, false);
  assert.equal(picked.revision, 2);
});

test("with only one of them, that one", () => {
  assert.deepEqual(pickDraft("s1", null, server(200, { reps: 8 })).draft, { entry: { reps: 8 } });
  const onlyLocal = pickDraft("s1", local(100, { reps: 5 }), { revision: 0, updated_at: null, draft: null });
  assert.deepEqual(onlyLocal.draft, { entry: { reps: 5 } });
  assert.equal(onlyLocal.revision, 0);
  assert.equal(pickDraft("s1", null, { revision: 0, updated_at: null, draft: null }).draft, null);
});

test("every change is stored locally, per session, until cleared", () => {
  const storage = new MemoryStorage();
  const record = changed(pickDraft("s1", null, null), { entry: { reps: 3 } }, 500);
  saveLocal(storage, record);
  assert.deepEqual(loadLocal(storage, "s1"), record);
  assert.equal(record.synced, false);
  assert.equal(loadLocal(storage, "s2"), null);
  clearLocal(storage, "s1");
  assert.equal(loadLocal(storage, "s1"), null);
});

test("a corrupt local record is ignored", () => {
  const storage = new MemoryStorage();
  storage.setItem("setpoint.draft.s1", "{not json");
  assert.equal(loadLocal(storage, "s1"), null);
});
