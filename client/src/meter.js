// Rates for the status bar (frames per second, kB/s): the events of a
// sliding window, summed. Time is injected for tests.

export class RateMeter {
  constructor({ windowMs = 2000, now = () => performance.now() } = {}) {
    this.windowMs = windowMs;
    this._now = now;
    this._events = []; // [time, amount]
  }

  add(amount = 1) {
    const t = this._now();
    this._events.push([t, amount]);
    this._trim(t);
  }

  /** Amount per second over the window. */
  rate() {
    const t = this._now();
    this._trim(t);
    let sum = 0;
    for (const [, amount] of this._events) sum += amount;
    return (sum * 1000) / this.windowMs;
  }

  _trim(t) {
    const cutoff = t - this.windowMs;
    let drop = 0;
    while (drop < this._events.length && this._events[drop][0] <= cutoff) drop += 1;
    if (drop) this._events.splice(0, drop);
  }
}

/** The UTF-8 length of a string in bytes (a text message's size on the wire), without encoding it. */
export function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        bytes += 4; // a surrogate pair: one code point past the BMP
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
