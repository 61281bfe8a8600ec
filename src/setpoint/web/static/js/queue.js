// Actions made while the network is away (commands and logged sets), kept in localStorage
// with their Idempotency-Key and sent in order when it returns. The server's answer wins: an
// action it refuses is dropped from the queue and reported, never retried forever; one it
// could not judge because the sign-in expired (401) waits for the next sign-in.

const KEY = "setpoint.queue";

/** A random Idempotency-Key (`crypto.randomUUID` exists only on https and localhost, and the
 * player is often opened over plain http on a LAN). */
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class OfflineQueue {
  constructor(storage, makeKey = newKey) {
    this.storage = storage;
    this.makeKey = makeKey;
    this.sending = false;
  }

  get items() {
    try {
      return JSON.parse(this.storage.getItem(KEY) ?? "[]");
    } catch {
      return [];
    }
  }

  set items(items) {
    this.storage.setItem(KEY, JSON.stringify(items));
  }

  get size() {
    return this.items.length;
  }

  /** Forget every queued action (signing out: they were the signed-out user's). */
  clear() {
    this.items = [];
  }

  /** Queue an action `{kind, session_id, ...}`; it gets its Idempotency-Key now, so every
   * retry of it is the same request to the server. */
  add(action) {
    const item = { ...action, key: this.makeKey() };
    this.items = [...this.items, item];
    return item;
  }

  /** Send the queued actions in order with `send(item)`, which resolves to the server's
   * answer or rejects when the network failed. On a network failure, or when the sign-in
   * expired, the rest wait for the next flush. Calls `onAnswer(item, answer)` for each
   * answered action. */
  async flush(send, onAnswer = () => {}) {
    if (this.sending) return;
    this.sending = true;
    try {
      for (;;) {
        const [item] = this.items;
        if (item === undefined) return;
        let answer;
        try {
          answer = await send(item);
        } catch (error) {
          if (isNetworkError(error) || error?.status === 401) return;
          answer = { error };
        }
        this.items = this.items.filter((queued) => queued.key !== item.key);
        onAnswer(item, answer);
      }
    } finally {
      this.sending = false;
    }
  }
}

/** Errors that mean "not sent, try again later" (fetch's TypeError, an explicit offline). */
export function isNetworkError(error) {
  return error instanceof TypeError || error?.name === "NetworkError";
}
