// Time on the player, from the server's anchors: the state says where the session was at
// `server_time`; the page adds the time passed since, on the server's clock. Nothing here
// counts ticks, so a throttled background tab or a sleeping phone cannot make it drift.

/** The server's clock as seen from this device: `offset_s` is server time minus local time. */
export class ServerClock {
  constructor() {
    this.offset_s = 0;
    this.synced = false;
  }

  /** Re-sync from a server timestamp. With the local time the request was sent, the midpoint
   * of the round trip is the best estimate of when the server read its clock. */
  sync(serverTime, receivedAt, sentAt = null) {
    const localAt = sentAt === null ? receivedAt : (sentAt + receivedAt) / 2;
    this.offset_s = serverTime - localAt;
    this.synced = true;
  }

  /** Server time (epoch seconds) now, given the local time in epoch seconds. */
  now(localNow) {
    return localNow + this.offset_s;
  }
}

/** The state's timers at server time `serverNow`: only a running session moves. The segment's
 * remaining time stops at 0 until the server announces the next segment. */
export function timersAt(state, serverNow) {
  const moving = state.status === "in_progress";
  const passed = moving ? Math.max(0, serverNow - state.server_time) : 0;
  const left = (s) => (s === null || s === undefined ? null : Math.max(0, s - passed));
  return {
    elapsed_s: state.elapsed_s + passed,
    segment_elapsed_s: state.segment_elapsed_s + passed,
    segment_remaining_s: left(state.segment_remaining_s),
    rest_remaining_s: left(state.rest_remaining_s),
    overdue_s:
      moving && state.segment_remaining_s !== null ? passed - state.segment_remaining_s : null,
  };
}

/** `MM:SS`, or `H:MM:SS` from an hour on; whole seconds, rounded down. */
export function formatClock(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** The count to announce (3, 2 or 1) when the remaining time crossed it since the last frame;
 * null otherwise. A jump of several seconds (a woken tab) announces nothing stale. */
export function countdownCue(previousRemaining, remaining) {
  if (previousRemaining === null || remaining === null) return null;
  if (previousRemaining - remaining >= 1) return null;
  for (const mark of [3, 2, 1]) {
    if (previousRemaining > mark && remaining <= mark && remaining > mark - 1) return mark;
  }
  return null;
}

/** Whether `incoming` is at least as new as `current`: a later revision, or the same revision
 * read later. Older states (a late reply, a replayed answer) are ignored. */
export function isNewer(incoming, current) {
  if (!current || current.id !== incoming.id) return true;
  if (incoming.revision !== current.revision) return incoming.revision > current.revision;
  return incoming.server_time >= current.server_time;
}
