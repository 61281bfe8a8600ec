// What the athlete hears, feels and keeps seeing: a beep per 3-2-1 count and a chime at each
// segment change (Web Audio), a vibration where the device has one, a mute setting, and the
// screen kept on while a session runs (Screen Wake Lock, re-requested when the page shows
// again: the browser releases it whenever the page is hidden).

const MUTED_KEY = "setpoint.muted";

export class Cues {
  constructor() {
    this.audio = null;
  }

  get muted() {
    return localStorage.getItem(MUTED_KEY) === "1";
  }

  set muted(value) {
    localStorage.setItem(MUTED_KEY, value ? "1" : "0");
  }

  tone(frequency, seconds, at = 0) {
    if (this.muted) return;
    const Context = globalThis.AudioContext ?? globalThis.webkitAudioContext;
    if (!Context) return;
    this.audio ??= new Context();
    const start = this.audio.currentTime + at;
    const osc = this.audio.createOscillator();
    const gain = this.audio.createGain();
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.3, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + seconds);
    osc.connect(gain).connect(this.audio.destination);
    osc.start(start);
    osc.stop(start + seconds + 0.05);
  }

  vibrate(pattern) {
    if (!this.muted && navigator.vibrate) navigator.vibrate(pattern);
  }

  /** One of the 3-2-1 counts before a segment change. */
  count() {
    this.tone(660, 0.15);
    this.vibrate(60);
  }

  /** The segment changed. */
  chime() {
    this.tone(880, 0.25);
    this.tone(1320, 0.4, 0.18);
    this.vibrate([200, 100, 200]);
  }

  /** Browsers start audio only after a user gesture: call from a click. */
  unlock() {
    if (this.audio) this.audio.resume?.();
  }
}

export class ScreenLock {
  constructor() {
    this.sentinel = null;
    this.wanted = false;
    document.addEventListener("visibilitychange", () => {
      if (this.wanted && document.visibilityState === "visible") this.acquire();
    });
  }

  async acquire() {
    this.wanted = true;
    if (!navigator.wakeLock || document.visibilityState !== "visible") return;
    if (this.sentinel && !this.sentinel.released) return;
    try {
      this.sentinel = await navigator.wakeLock.request("screen");
    } catch {
      this.sentinel = null; // refused (battery saver, no permission): the session runs anyway
    }
  }

  release() {
    this.wanted = false;
    this.sentinel?.release();
    this.sentinel = null;
  }
}
