// The connection to a glyphcast hub: one WebSocket at a time, offered the
// codecs (best first) and then the token as one more subprotocol, greeted
// with hello, pinged every 2 s, and opened again after a drop with backoff
// and jitter (reconnect.js decides, status.js words it). A browser never sees
// why a handshake was refused, so when the socket never opens it asks the
// server over HTTP. It decodes every message (codecs.js), keeps what belongs
// to the connection (state, role, codec, stream, latency, presence, producer, end) and
// hands each known message on as a "message" event. No DOM: node's tests run
// it against a real socket.
import {
  PRODUCER_STATES, PROTOCOL_VERSION, ProtocolError, codecName, healthUrl, httpUrl, isKnownServerType, playerUrl,
  subprotocolsFor,
  tokenSubprotocol,
} from "./protocol.js";
import { decodeMessage, encodeMessage } from "./codecs.js";
import { Backoff, afterClose, afterRefusal } from "./reconnect.js";
import { RateMeter, utf8Length } from "./meter.js";
import {
  WAITING_FOR_HELLO, CLOSED, cannotConnectMessage, connectingMessage, endedMessage, unsupportedCodecMessage,
} from "./status.js";

export const VERSION = "0.1.0";
export const CLIENT_NAME = `glyphcast-viewer/${VERSION}`;

export const PING_INTERVAL_MS = 2000;

/**
 * The counters a viewer keeps; the connection counts messages, bytes,
 * reconnects (attempts after the first connection, successful or not),
 * errors, protocolErrors and unknown, the viewer the screen messages.
 */
export function newStats() {
  return {
    messages: 0, bytes: 0, frames: 0, deltas: 0, clears: 0, resyncs: 0,
    reconnects: 0, dropped: 0, ignored: 0, errors: 0, protocolErrors: 0, unknown: 0,
  };
}

/**
 * A connection to the stream at `url`.
 *
 * Options: `codec` (force one, see protocol.subprotocolsFor), `token`,
 * `WebSocket` and `fetch` (default: the global ones), `backoff` (a Backoff),
 * `pingIntervalMs`, `stats` (shared with the viewer, see newStats) and
 * `viewport` (a function returning the {width, height} hello announces, or null).
 *
 * Events (it is an EventTarget): "attempt" (a new socket is being opened:
 * what arrives on it starts from a keyframe), "statechange" (detail:
 * {state, message, ...}), "message" (detail: every known server message,
 * after the connection took what is its own).
 */
export class Connection extends EventTarget {
  constructor({
    url, codec, token, WebSocket: WebSocketImpl = globalThis.WebSocket, fetch = globalThis.fetch?.bind(globalThis),
    backoff = new Backoff(), pingIntervalMs = PING_INTERVAL_MS, stats = newStats(), viewport = () => null,
  }) {
    super();
    this.url = url;
    this._forcedCodec = codec;
    // Checked here, so a bad ?codec= fails at once with a readable message.
    subprotocolsFor(codec);
    this._token = token || null;
    this._tokenEntry = token ? tokenSubprotocol(token) : null;
    this._WebSocket = WebSocketImpl;
    this._fetch = fetch;
    this._backoff = backoff;
    this._pingIntervalMs = pingIntervalMs;
    this._viewport = viewport;
    this.stats = stats;

    /** Codecs the server said it offers (hello's `codecs` or /healthz); null: not told yet. */
    this.serverCodecs = null;
    /** Codecs whose messages this viewer could not decode; never offered again. */
    this.undecodable = [];
    /** connecting, live, reconnecting, server full, rejected, ended, unsupported codec, closed. */
    this.state = "idle";
    this.message = "";
    /** "viewer" (read-only) or "controller"; null before hello. */
    this.role = null;
    /** Negotiated codec name ("diff", "binary", "json"); null before connecting. */
    this.codec = null;
    this.server = null;
    /** The stream's name from hello (v1.1: "main" for the one at `/`); null before hello or from a v1 server. */
    this.stream = null;
    /** The last `state` message's payload (the engine's state snapshot). */
    this.engineState = null;
    this.lastError = null;
    /**
     * Whether this connection's messages are compressed on the wire (permessage-deflate): the
     * bytes counted are then the decoded ones, as a browser never tells a page the compressed size.
     */
    this.compressed = false;
    /** Round-trip time of the last ping, ms. */
    this.latency = null;
    /** The last `presence` (v1.1): {viewers, controllers}; null until the server sends one. */
    this.presence = null;
    /** The `end` message once the stream ended (v1.1); no reconnect after it. */
    this.ended = null;
    /** Whether the stream's producer is heard from (v1.2 `producer`): "live", "stalled" or "reconnecting". */
    this.producer = "live";

    this._received = new RateMeter();
    this._ws = null;
    this._stopped = false;
    this._timers = { retry: null, ping: null };
    this._connectedOnce = false;
    this._opened = false;
    this._gotHello = false;
    this._probedHealth = false;
    this._detail = "";
  }

  /**
   * The Sec-WebSocket-Protocol list of the next connection: the codecs (best
   * first), then the token entry if there is a token. The server selects a
   * codec and never the token entry.
   */
  get protocols() {
    const codecs = subprotocolsFor(this._forcedCodec, { serverCodecs: this.serverCodecs, skip: this.undecodable });
    return this._tokenEntry ? [...codecs, this._tokenEntry] : codecs;
  }

  /** The open (or opening) WebSocket, or null. */
  get socket() {
    return this._ws;
  }

  /** Bytes of messages received per second over the last two seconds (decoded ones when `compressed`). */
  get bytesPerSecond() {
    return this._received.rate();
  }

  /** Open the connection (again). */
  connect() {
    this._stopped = false;
    clearTimeout(this._timers.retry);
    this._timers.retry = null;
    this.ended = null;
    const protocols = this.protocols;
    if (protocols.length === (this._tokenEntry ? 1 : 0)) {
      this._setState("unsupported codec", unsupportedCodecMessage({
        tried: this.undecodable, detail: this._detail, serverCodecs: this.serverCodecs, playerUrl: playerUrl(this.url),
      }));
      return;
    }
    if (this._connectedOnce) this.stats.reconnects += 1;
    this._connectedOnce = true;
    this._opened = false;
    this._gotHello = false;
    this.dispatchEvent(new Event("attempt"));
    this._setState("connecting", connectingMessage(this.url));
    let ws;
    try {
      ws = new this._WebSocket(this.url, protocols);
    } catch (err) {
      // A malformed URL cannot get better by retrying.
      this._setState("rejected", cannotConnectMessage(err));
      return;
    }
    ws.binaryType = "arraybuffer";
    this._ws = ws;
    ws.onopen = () => ws === this._ws && this._onOpen(ws);
    ws.onmessage = (ev) => ws === this._ws && this._onMessage(ev.data);
    ws.onclose = (ev) => ws === this._ws && this._onClose(ev.code, ev.reason);
    // An error is always followed by a close, which decides what happens next.
    // (Set anyway: node's `ws` throws an error event nobody listens to.)
    ws.onerror = () => {};
  }

  /** Close for good: no reconnect. */
  close() {
    this._stopped = true;
    this._clearTimers();
    if (this._ws) this._ws.close(1000, "viewer closed");
    this._ws = null;
    this._setState("closed", CLOSED);
  }

  send(msg) {
    if (this._ws && this._ws.readyState === 1) this._ws.send(encodeMessage(msg));
  }

  // --- socket events --------------------------------------------------------

  _onOpen(ws) {
    this._opened = true;
    this.codec = codecName(ws.protocol);
    this.compressed = /permessage-deflate/.test(ws.extensions || "");
    this._setState("connecting", WAITING_FOR_HELLO);
    const viewport = this._viewport();
    const hello = { type: "hello", client: CLIENT_NAME };
    if (viewport) hello.viewport = viewport;
    this.send(hello);
    this._ping();
    this._timers.ping = setInterval(() => this._ping(), this._pingIntervalMs);
  }

  _onMessage(data) {
    const size = typeof data === "string" ? utf8Length(data) : data.byteLength;
    this.stats.messages += 1;
    this.stats.bytes += size;
    this._received.add(size);
    let msg;
    try {
      msg = decodeMessage(data);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.stats.protocolErrors += 1;
      this.lastError = { code: "protocol", message: err.message };
      console.warn("glyphcast:", err.message);
      // The first message is hello: if that cannot be read, nothing on this codec can.
      if (!this._gotHello) this._undecodableCodec(err.message);
      return;
    }
    if (!isKnownServerType(msg.type)) {
      // A newer server's message type: v1 clients ignore what they do not know.
      this.stats.unknown += 1;
      return;
    }
    switch (msg.type) {
      case "hello":
        this._onHello(msg);
        break;
      case "pong":
        if (typeof msg.ts === "number") this.latency = performance.now() - msg.ts;
        break;
      case "state":
        this.engineState = msg.state;
        break;
      case "error":
        this.stats.errors += 1;
        this.lastError = { code: msg.code, message: msg.message };
        console.warn(`glyphcast server error ${msg.code}: ${msg.message}`);
        break;
      case "presence":
        this.presence = { viewers: msg.viewers, controllers: msg.controllers };
        break;
      case "producer":
        // A state this viewer does not know (a newer server's) changes nothing.
        if (PRODUCER_STATES.includes(msg.state)) this.producer = msg.state;
        break;
      case "end":
        this._onEnd(msg);
        break;
    }
    this.dispatchEvent(new CustomEvent("message", { detail: msg }));
  }

  _onHello(msg) {
    if (msg.protocol !== PROTOCOL_VERSION) {
      console.warn(`glyphcast: server speaks protocol ${msg.protocol}, this viewer ${PROTOCOL_VERSION}`);
    }
    this._backoff.reset();
    this._gotHello = true;
    this.server = msg.server ?? null;
    this.stream = typeof msg.stream === "string" && msg.stream ? msg.stream : null;
    if (msg.codec) this.codec = codecName(msg.codec) ?? msg.codec;
    // v1.1: every codec the server offers, so a reconnect may offer those too.
    if (Array.isArray(msg.codecs)) this.serverCodecs = msg.codecs.filter((c) => typeof c === "string");
    this.role = msg.role === "controller" ? "controller" : "viewer";
    // A server says `producer` to a new client only when the producer is not heard from.
    this.producer = "live";
    this._setState("live", "live");
  }

  _onEnd(msg) {
    this.ended = msg;
    this._clearTimers();
    this._setState("ended", endedMessage(typeof msg.reason === "string" ? msg.reason : ""));
  }

  /** The negotiated codec sends what this viewer cannot decode: try another, or say so and stop. */
  _undecodableCodec(why) {
    const subprotocol = this._ws?.protocol || "glyphcast.json.v1";
    if (!this.undecodable.includes(subprotocol)) this.undecodable.push(subprotocol);
    this._detail = why;
    const ws = this._ws;
    this._ws = null;
    this._clearTimers();
    ws?.close(1000, "codec not supported by this viewer");
    this.connect();
  }

  _onClose(code, reason) {
    this._clearTimers();
    this._ws = null;
    const opened = this._opened;
    const ended = this.ended ? (this.ended.reason || true) : false;
    const decision = afterClose({ code, reason, backoff: this._backoff, stopped: this._stopped, ended, opened });
    this._setState(decision.state, decision.message, { code, reason });
    if (decision.retryIn != null) {
      this._timers.retry = setTimeout(() => this.connect(), decision.retryIn);
      if (!opened) this._whyRefused();
    }
  }

  /** The socket never opened: ask over HTTP why (see afterRefusal), else which codecs there are. */
  async _whyRefused() {
    if (!this._fetch) return;
    const attempt = this.stats.reconnects;
    let decision = null;
    try {
      const response = await this._fetch(httpUrl(this.url), {
        credentials: "omit",
        cache: "no-store",
        // The page's origin, which the handshake carried in Origin: a browser sends no Origin on a
        // fetch from its own site, and the page's Referrer-Policy (no-referrer) would send nothing.
        referrerPolicy: "origin",
        headers: this._token ? { Authorization: `Bearer ${this._token}` } : {},
      });
      const retryAfter = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
      decision = afterRefusal({
        status: response.status,
        reason: response.status >= 400 ? await response.text() : "",
        retryAfter: Number.isFinite(retryAfter) ? retryAfter : null,
        backoff: this._backoff,
      });
    } catch (err) {
      console.debug("glyphcast: could not ask the server why it refused:", err.message);
    }
    // Only if nothing happened meanwhile (a new attempt, close(), a live connection).
    if (this._stopped || this._ws || attempt !== this.stats.reconnects) return;
    if (decision) {
      clearTimeout(this._timers.retry);
      this._timers.retry = null;
      this._setState(decision.state, decision.message, { status: "refused" });
      if (decision.retryIn != null) this._timers.retry = setTimeout(() => this.connect(), decision.retryIn);
      return;
    }
    await this._learnServerCodecs();
  }

  /**
   * The handshake failed before any hello: perhaps the server offers none of
   * the codecs offered. A browser cannot read the refusal, so ask /healthz
   * which codecs there are, and if that changes the offer, try again at once.
   */
  async _learnServerCodecs() {
    if (this._probedHealth || this.serverCodecs != null || this._forcedCodec || !this._fetch) return;
    this._probedHealth = true;
    const before = this.protocols.join(",");
    let codecs;
    try {
      const response = await this._fetch(healthUrl(this.url), { credentials: "omit", cache: "no-store" });
      if (!response.ok) return;
      codecs = (await response.json())?.codecs;
    } catch (err) {
      console.debug("glyphcast: /healthz not readable:", err.message);
      return;
    }
    if (!Array.isArray(codecs) || this._stopped || this._ws) return;
    this.serverCodecs = codecs.filter((c) => typeof c === "string");
    if (this.protocols.join(",") !== before) this.connect();
  }

  _ping() {
    this.send({ type: "ping", ts: performance.now() });
  }

  _setState(state, message, detail = {}) {
    this.state = state;
    this.message = message;
    this.dispatchEvent(new CustomEvent("statechange", { detail: { state, message, ...detail } }));
  }

  _clearTimers() {
    clearTimeout(this._timers.retry);
    clearInterval(this._timers.ping);
    this._timers.retry = this._timers.ping = null;
  }
}
