// The session's live socket: authenticates with the token in its first message, hands every
// server message on with its arrival time, pings to keep the clock synced, and reconnects
// with backoff when the network drops.

const PING_EVERY_MS = 15000;
const REFUSED = new Set([4401, 4403, 4404]); // not signed in, not allowed, no such session

/** Seconds to wait before reconnect attempt `attempt` (0, 1, …): 1, 2, 4 … up to 30, with
 * jitter so a gym full of phones does not come back in step. */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(30, 2 ** attempt);
  return base * (0.5 + random() / 2);
}

export class LiveSocket {
  constructor(url, token, { onMessage, onStatus = () => {}, onPong = () => {} }) {
    this.url = url;
    this.token = token;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.onPong = onPong;
    this.attempt = 0;
    this.closed = false;
    this.ws = null;
    this.timer = null;
    this.pingSentAt = null;
  }

  open() {
    if (this.closed) return;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "auth", token: this.token }));
      this.attempt = 0;
      this.onStatus("connected");
      this.pinger = setInterval(() => this.ping(), PING_EVERY_MS);
    };
    ws.onmessage = (event) => {
      const receivedAt = Date.now() / 1000;
      const message = JSON.parse(event.data);
      if (message.type === "pong" && this.pingSentAt !== null) {
        this.onPong(message.server_time, receivedAt, this.pingSentAt);
        this.pingSentAt = null;
        return;
      }
      this.onMessage(message, receivedAt);
    };
    ws.onclose = (event) => {
      clearInterval(this.pinger);
      if (this.closed || REFUSED.has(event.code)) return;
      this.onStatus("reconnecting");
      const delay = backoffDelay(this.attempt);
      this.attempt += 1;
      this.timer = setTimeout(() => this.open(), delay * 1000);
    };
  }

  /** Reconnect now (the network came back, the page became visible). */
  reconnect() {
    if (this.closed) return;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    clearTimeout(this.timer);
    this.open();
  }

  ping() {
    this.pingSentAt = Date.now() / 1000;
    this.send({ type: "ping" });
  }

  /** Send a message if the socket is open; false otherwise. */
  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.ws) this.ws.close();
  }
}
