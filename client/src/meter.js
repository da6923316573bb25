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
