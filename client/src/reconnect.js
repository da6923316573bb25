// What to do when the connection closes: retry with exponential backoff and
// jitter (0.5 s up to 10 s), retry slowly when the server is full, stop on a
// policy close or when the stream ended. Pure: the connection supplies close
// codes and owns the timers; the words are status.js's.
import { CLOSE } from "./protocol.js";
import {
  CLOSED, endedMessage, policyCloseMessage, reconnectingMessage, refusedMessage, serverFullMessage, throttledMessage,
} from "./status.js";

/** A full server (1013) is asked again no sooner than this (ms), plus jitter. */
export const SERVER_FULL_RETRY_MS = 10000;

export class Backoff {
  constructor({ initial = 500, max = 10000, random = Math.random } = {}) {
    this.initial = initial;
    this.max = max;
    this.random = random;
    this.attempt = 0;
  }

  /**
   * Delay before the next attempt, in ms: the ceiling doubles per attempt up
   * to `max`; the delay is drawn between half the ceiling and the ceiling, so
   * viewers dropped together do not come back in lockstep; never below `initial`.
   */
  next() {
    const ceiling = Math.min(this.max, this.initial * 2 ** this.attempt);
    this.attempt += 1;
    return Math.round(Math.max(this.initial, ceiling * (0.5 + 0.5 * this.random())));
  }

  /** The connection got its hello: start again from the shortest delay. */
  reset() {
    this.attempt = 0;
  }
}

/**
 * @typedef {object} CloseDecision
 * @property {"reconnecting"|"server full"|"rejected"|"ended"|"closed"} state
 * @property {number|null} retryIn  ms until the next attempt, null: do not retry
 * @property {string} message       what the status bar says
 */

/**
 * Decide what follows a close with `code` and `reason`. `ended` is true once
 * the server sent `end` (v1.1); `opened` is false when the socket closed before
 * it ever opened (the handshake was refused or the server is unreachable).
 * @param {{code: number, reason?: string, backoff: Backoff, stopped?: boolean, ended?: string|boolean,
 *          opened?: boolean, random?: () => number}} close
 * @returns {CloseDecision}
 */
export function afterClose({
  code, reason = "", backoff, stopped = false, ended = false, opened = true, random = Math.random,
}) {
  if (stopped) return { state: "closed", retryIn: null, message: CLOSED };
  if (ended || code === CLOSE.NORMAL) {
    const why = typeof ended === "string" && ended ? ended : reason;
    return { state: "ended", retryIn: null, message: endedMessage(why) };
  }
  if (code === CLOSE.POLICY) {
    return { state: "rejected", retryIn: null, message: policyCloseMessage(reason) };
  }
  if (code === CLOSE.TRY_AGAIN_LATER) {
    const retryIn = Math.round(SERVER_FULL_RETRY_MS * (1 + 0.5 * random()));
    return { state: "server full", retryIn, message: serverFullMessage(reason, retryIn) };
  }
  const retryIn = backoff.next();
  return { state: "reconnecting", retryIn, message: reconnectingMessage({ reason, opened, retryIn }) };
}

/**
 * A browser never sees why a WebSocket handshake was refused (the socket just
 * closes with 1006). The viewer then asks the same URL over plain HTTP with
 * the same token (`Authorization: Bearer`), and the server's status says why:
 * this decides what follows. Returns null for a status that explains nothing
 * (the caller keeps its backoff).
 * @param {{status: number, reason?: string, retryAfter?: number|null, backoff: Backoff, random?: () => number}} refusal
 * @returns {CloseDecision|null}
 */
export function afterRefusal({ status, reason = "", retryAfter = null, backoff, random = Math.random }) {
  const why = reason.trim().split("\n")[0].slice(0, 400);
  if (status === 403 || status === 421) {
    return { state: "rejected", retryIn: null, message: refusedMessage(status, why) };
  }
  if (status === 429) {
    const retryIn = Math.max(backoff.next(), (retryAfter ?? 0) * 1000);
    return { state: "reconnecting", retryIn, message: throttledMessage(why, retryIn) };
  }
  if (status === 503) {
    const retryIn = Math.max(Math.round(SERVER_FULL_RETRY_MS * (1 + 0.5 * random())), (retryAfter ?? 0) * 1000);
    return { state: "server full", retryIn, message: serverFullMessage(why, retryIn) };
  }
  return null;
}
