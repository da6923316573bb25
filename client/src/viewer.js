// GlyphcastViewer: the glue between a glyphcast WebSocket stream and an
// xterm.js terminal. Decoding, delta bookkeeping and reconnect policy live in
// pure modules (protocol.js, screen.js, reconnect.js); this file only moves
// messages between the socket, those modules and the terminal.
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import {
  PROTOCOL_VERSION,
  ProtocolError,
  codecName,
  healthUrl,
  httpUrl,
  isKnownServerType,
  namedStream,
  subprotocolsFor,
  tokenSubprotocol,
  websocketUrl,
} from "./protocol.js";
import { decodeMessage, encodeMessage } from "./codecs.js";
import { Screen, TERMINAL_SETUP, paintCursor, paintRows } from "./screen.js";
import { Backoff, afterClose, afterRefusal } from "./reconnect.js";
import { RateMeter } from "./meter.js";

export const VERSION = "0.1.0";
export const CLIENT_NAME = `glyphcast-viewer/${VERSION}`;

const PING_INTERVAL_MS = 2000;
const STATUS_INTERVAL_MS = 500;
const MIN_FONT_PX = 4;
const MAX_FONT_PX = 48;

/** States that stop the viewer for good: their message is shown over the screen too. */
const NOTICE_STATES = new Set(["ended", "rejected", "unsupported codec"]);

/**
 * xterm.js 6 draws no cursor until the terminal was focused, a key was typed
 * or the alternate screen was entered or left (its `isCursorInitialized`;
 * 6.0 has no option for it). Viewers never focus the terminal, so enter and
 * leave the alternate screen (DECSET/DECRST 47) once: the program's cursor
 * then shows whenever a frame says so. Nothing is drawn by this itself.
 */
const WAKE_CURSOR = "\x1b[?47h\x1b[?47l";

const FONT_FAMILY =
  '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, "Liberation Mono", "Noto Sans Mono", monospace';

/**
 * A viewer of one glyphcast stream inside `element`.
 *
 *   const viewer = new GlyphcastViewer(document.getElementById("screen"), {
 *     url: "ws://127.0.0.1:8765/ws", // default: "ws" next to the page (/x/y/ -> /x/y/ws)
 *     codec: "diff",                  // default: offer diff, binary, json (+ what the server lists)
 *     token: "...",                   // optional view/control token (sent as a subprotocol entry)
 *   });
 *
 * Events (it is an EventTarget): "statechange" (detail: {state, message}),
 * "hello" (detail: the hello message), "paint" (detail: {seq}),
 * "presence" (detail: {viewers, controllers}), "end" (detail: the end message).
 */
export class GlyphcastViewer extends EventTarget {
  constructor(element, options = {}) {
    super();
    if (!element) throw new Error("GlyphcastViewer needs an element to render into");
    const {
      url,
      codec,
      token,
      autoConnect = true,
      statusBar = true,
      fontFamily = FONT_FAMILY,
      WebSocket: WebSocketImpl = globalThis.WebSocket,
    } = options;
    this.element = element;
    this._forcedCodec = codec;
    // Checked here, so a bad ?codec= fails at once with a readable message.
    subprotocolsFor(codec);
    this._token = token || null;
    this._tokenEntry = token ? tokenSubprotocol(token) : null;
    /** Codecs the server said it offers (hello's `codecs` or /healthz); null: not told yet. */
    this.serverCodecs = null;
    /** Codecs whose messages this viewer could not decode; never offered again. */
    this.undecodable = [];
    this.url = url || websocketUrl(globalThis.location);
    this._WebSocket = WebSocketImpl;
    this._fetch = options.fetch ?? globalThis.fetch?.bind(globalThis);

    /** Connection state: connecting, live, reconnecting, server full, rejected, ended, unsupported codec, closed. */
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
    /** Round-trip time of the last ping, ms. */
    this.latency = null;
    /** The last `presence` (v1.1): {viewers, controllers}; null until the server sends one. */
    this.presence = null;
    /** The `end` message once the stream ended (v1.1); the viewer does not reconnect after it. */
    this.ended = null;
    /** seq of the newest frame xterm has finished parsing (see `settled()`). */
    this.paintedSeq = null;
    // reconnects counts attempts after the first connection, successful or not.
    this.stats = {
      messages: 0, bytes: 0, frames: 0, deltas: 0, clears: 0, resyncs: 0,
      reconnects: 0, dropped: 0, ignored: 0, errors: 0, protocolErrors: 0, unknown: 0,
    };

    this.screen = new Screen();
    this._backoff = new Backoff();
    this._fps = new RateMeter();
    this._bps = new RateMeter();
    this._dropNext = 0;
    this._ws = null;
    this._stopped = false;
    this._timers = { retry: null, ping: null, status: null };
    this._connectedOnce = false;
    this._opened = false;
    this._gotHello = false;
    this._probedHealth = false;
    this._detail = "";

    this._buildDom(statusBar, fontFamily);
    if (autoConnect) this.connect();
  }

  /** seq of the frame the viewer's model is at (null: waiting for a keyframe). */
  get seq() {
    return this.screen.seq;
  }

  get width() {
    return this.screen.width;
  }

  get height() {
    return this.screen.height;
  }

  /** The program's cursor as drawn, [col, row] (0-based), or null when none is drawn. */
  get cursor() {
    return this.screen.cursor;
  }

  /** The terminal's rows as plain text (what a user would copy), right-trimmed. */
  rows() {
    const buffer = this.terminal.buffer.active;
    const out = [];
    for (let i = 0; i < this.terminal.rows; i++) {
      const line = buffer.getLine(buffer.viewportY + i);
      // translateToString(true) trims only never-written cells; written
      // trailing spaces are trimmed too, as a copy would be.
      out.push(line ? line.translateToString(true).replace(/ +$/, "") : "");
    }
    return out;
  }

  /** Resolves once xterm has parsed everything written so far. */
  settled() {
    return new Promise((resolve) => this.terminal.write("", resolve));
  }

  /** Test hook: drop the next `n` frame/delta/clear messages, as a lossy link would. */
  dropNext(n = 1) {
    this._dropNext += n;
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

  /** Open the connection (again). Called by the constructor unless autoConnect is false. */
  connect() {
    this._stopped = false;
    clearTimeout(this._timers.retry);
    this._timers.retry = null;
    this.ended = null;
    const protocols = this.protocols;
    if (protocols.length === (this._tokenEntry ? 1 : 0)) {
      this._unsupported();
      return;
    }
    if (this._connectedOnce) this.stats.reconnects += 1;
    this._connectedOnce = true;
    this._opened = false;
    this._gotHello = false;
    this.screen.expectKeyframe();
    this._setState("connecting", `connecting to ${this.url}`);
    let ws;
    try {
      ws = new this._WebSocket(this.url, protocols);
    } catch (err) {
      // A malformed URL cannot get better by retrying.
      this._setState("rejected", `cannot connect: ${err.message}`);
      return;
    }
    ws.binaryType = "arraybuffer";
    this._ws = ws;
    ws.onopen = () => ws === this._ws && this._onOpen(ws);
    ws.onmessage = (ev) => ws === this._ws && this._onMessage(ev.data);
    ws.onclose = (ev) => ws === this._ws && this._onClose(ev.code, ev.reason);
    // onerror is always followed by onclose, which decides what happens next.
  }

  /** Close for good: no reconnect. */
  close() {
    this._stopped = true;
    this._clearTimers();
    if (this._ws) this._ws.close(1000, "viewer closed");
    this._ws = null;
    this._setState("closed", "closed");
  }

  dispose() {
    this.close();
    clearInterval(this._timers.status);
    this._resizeObserver?.disconnect();
    this.terminal.dispose();
    this.element.replaceChildren();
  }

  /** Ask for the engine's state snapshot (answered with a `state` message). */
  requestState() {
    this.send({ type: "state_request" });
  }

  /** Controller only: ask the engine to resize the stream. */
  requestResize(width, height) {
    this._controllerOnly("resize");
    this.send({ type: "resize", width, height });
  }

  /** Controller only: send an engine command. */
  sendCommand(command) {
    this._controllerOnly("command");
    this.send({ type: "command", command });
  }

  send(msg) {
    if (this._ws && this._ws.readyState === 1) this._ws.send(encodeMessage(msg));
  }

  // --- socket events --------------------------------------------------------

  _onOpen(ws) {
    this._opened = true;
    this.codec = codecName(ws.protocol);
    this._setState("connecting", "connected, waiting for hello");
    const viewport = this._fitAddon.proposeDimensions();
    const hello = { type: "hello", client: CLIENT_NAME };
    if (viewport) hello.viewport = { width: viewport.cols, height: viewport.rows };
    this.send(hello);
    this._ping();
    this._timers.ping = setInterval(() => this._ping(), PING_INTERVAL_MS);
  }

  _onMessage(data) {
    const size = typeof data === "string" ? data.length : data.byteLength;
    this.stats.messages += 1;
    this.stats.bytes += size;
    this._bps.add(size);
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
      case "hello": return this._onHello(msg);
      case "frame":
      case "delta":
      case "clear": return this._onScreenMessage(msg);
      case "pong":
        if (typeof msg.ts === "number") this.latency = performance.now() - msg.ts;
        return;
      case "state":
        this.engineState = msg.state;
        return;
      case "error":
        this.stats.errors += 1;
        this.lastError = { code: msg.code, message: msg.message };
        console.warn(`glyphcast server error ${msg.code}: ${msg.message}`);
        this._renderStatus();
        return;
      case "presence":
        this.presence = { viewers: msg.viewers, controllers: msg.controllers };
        this._renderStatus();
        this.dispatchEvent(new CustomEvent("presence", { detail: this.presence }));
        return;
      case "end":
        return this._onEnd(msg);
    }
  }

  _onEnd(msg) {
    this.ended = msg;
    this._clearTimers();
    const reason = typeof msg.reason === "string" && msg.reason ? msg.reason : "";
    this._setState("ended", reason ? `stream ended: ${reason}` : "stream ended");
    this.dispatchEvent(new CustomEvent("end", { detail: msg }));
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

  _unsupported() {
    const tried = this.undecodable.length ? this.undecodable.join(", ") : "the offered codec";
    const offers = this.serverCodecs ? ` The server offers ${this.serverCodecs.join(", ")}.` : "";
    this._setState(
      "unsupported codec",
      `this viewer cannot decode ${tried} (it reads JSON text and msgpack binary maps${this._detail ? `; ${this._detail}` : ""}).${offers}`
        + " Try ?codec=json, or a viewer made for that codec.",
    );
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
    this.terminal.options.disableStdin = this.role !== "controller";
    if (msg.width && msg.height) {
      const paint = this.screen.resize(msg.width, msg.height);
      if (paint.resized) this._paint(paint);
    }
    this._setState("live", "live");
    this.dispatchEvent(new CustomEvent("hello", { detail: msg }));
  }

  _onScreenMessage(msg) {
    if (this._dropNext > 0) {
      this._dropNext -= 1;
      this.stats.dropped += 1;
      return;
    }
    const result = this.screen.apply(msg);
    if (result.action === "resync") {
      this.stats.resyncs += 1;
      this.send({ type: "resync" });
      return;
    }
    if (result.action === "ignore") {
      this.stats.ignored += 1;
      return;
    }
    if (msg.type === "frame") this.stats.frames += 1;
    else if (msg.type === "delta") this.stats.deltas += 1;
    else this.stats.clears += 1;
    this._fps.add();
    this._paint(result);
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

  // --- terminal -------------------------------------------------------------

  _paint({ resized, rows, cursor }) {
    let data = "";
    if (resized) {
      this.terminal.resize(this.screen.width, this.screen.height);
      data += TERMINAL_SETUP;
    }
    data += paintRows(rows) + paintCursor(cursor);
    const seq = this.screen.seq;
    this.terminal.write(data, () => {
      this.paintedSeq = seq;
      this.dispatchEvent(new CustomEvent("paint", { detail: { seq } }));
    });
    if (resized) this._fitFont();
  }

  _buildDom(statusBar, fontFamily) {
    const el = this.element;
    el.classList.add("glyphcast");
    this._stage = document.createElement("div");
    this._stage.className = "gc-stage";
    el.append(this._stage);
    // Says in the page, not only in the status bar, why the stream stopped.
    this._notice = document.createElement("div");
    this._notice.className = "gc-notice";
    this._notice.hidden = true;
    el.append(this._notice);
    if (statusBar) {
      this._status = document.createElement("div");
      this._status.className = "gc-status";
      this._status.setAttribute("role", "status");
      el.append(this._status);
    }
    this.terminal = new Terminal({
      cols: this.screen.width,
      rows: this.screen.height,
      scrollback: 0,
      fontFamily,
      fontSize: 15,
      // The program's cursor (hidden unless a frame carries one): a steady
      // block, drawn the same whether or not the terminal has focus, since a
      // viewer never focuses it.
      cursorStyle: "block",
      cursorBlink: false,
      cursorInactiveStyle: "block",
      disableStdin: true,
      theme: { background: "#000000", foreground: "#d0d0d0", cursor: "#d0d0d0", cursorAccent: "#000000" },
    });
    this._fitAddon = new FitAddon();
    this.terminal.loadAddon(this._fitAddon);
    this.terminal.open(this._stage);
    this.terminal.write(WAKE_CURSOR + TERMINAL_SETUP);
    // Keystrokes reach the engine only from a controller; xterm stays
    // read-only (disableStdin) for viewers, so this fires only for controllers.
    this.terminal.onData((data) => {
      if (this.role === "controller") this.send({ type: "input", data });
    });
    this._resizeObserver = new ResizeObserver(() => this._fitFont());
    this._resizeObserver.observe(this._stage);
    this._timers.status = setInterval(() => this._renderStatus(), STATUS_INTERVAL_MS);
    this._renderStatus();
  }

  /**
   * Fit the grid to the stage by font size, never by cols/rows: the grid
   * follows the stream. Scale the font by the stage/screen ratio, then step
   * down until the fit addon confirms the whole grid fits.
   */
  _fitFont() {
    const screenEl = this.terminal.element?.querySelector(".xterm-screen");
    const stage = this._stage.getBoundingClientRect();
    if (!screenEl || stage.width === 0 || stage.height === 0) return;
    const current = this.terminal.options.fontSize;
    const box = screenEl.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return;
    const scale = Math.min(stage.width / box.width, stage.height / box.height);
    let size = clamp(Math.floor(current * scale * 2) / 2, MIN_FONT_PX, MAX_FONT_PX);
    if (size !== current) this.terminal.options.fontSize = size;
    for (let i = 0; i < 40 && size > MIN_FONT_PX && !this._gridFits(); i++) {
      size -= 0.5;
      this.terminal.options.fontSize = size;
    }
  }

  _gridFits() {
    const dims = this._fitAddon.proposeDimensions();
    return !dims || (dims.cols >= this.terminal.cols && dims.rows >= this.terminal.rows);
  }

  // --- status ---------------------------------------------------------------

  _setState(state, message, detail = {}) {
    this.state = state;
    this.message = message;
    if (this._notice) {
      this._notice.hidden = !NOTICE_STATES.has(state);
      this._notice.textContent = this._notice.hidden ? "" : message;
    }
    this._renderStatus();
    this.dispatchEvent(new CustomEvent("statechange", { detail: { state, message, ...detail } }));
  }

  _renderStatus() {
    if (!this._status) return;
    const live = this.state === "live";
    // Which stream, when it is not the main one (a port may carry several).
    const stream = namedStream(this.stream);
    const parts = [
      ["state", live ? "● live" : this.message || this.state],
      ...(stream ? [["stream", `stream ${stream}`]] : []),
      ["codec", this.codec ?? "—"],
      ["role", this.role === "controller" ? "controller" : this.role ? "read-only viewer" : "—"],
      ["size", `${this.screen.width}×${this.screen.height}`],
      ["fps", live ? `${this._fps.rate().toFixed(0)} fps` : "— fps"],
      ["latency", live && this.latency != null ? `${this.latency.toFixed(0)} ms` : "— ms"],
      ["rate", live ? `${(this._bps.rate() / 1000).toFixed(1)} kB/s` : "— kB/s"],
    ];
    if (this.presence && Number.isFinite(this.presence.viewers)) {
      const { viewers, controllers } = this.presence;
      const also = Number.isFinite(controllers) && controllers > 0 ? ` (${controllers} controlling)` : "";
      parts.push(["viewers", `${viewers} ${viewers === 1 ? "viewer" : "viewers"}${also}`]);
    } else if (this.engineState && typeof this.engineState === "object" && this.engineState.viewers != null) {
      parts.push(["viewers", `${this.engineState.viewers} viewers`]);
    }
    if (this.lastError && live) parts.push(["error", `error: ${this.lastError.message}`]);
    this._status.dataset.state = this.state.replace(/\s+/g, "-");
    this._status.replaceChildren(
      ...parts.map(([name, text]) => {
        const span = document.createElement("span");
        span.className = `gc-${name}`;
        span.textContent = text;
        return span;
      }),
    );
  }

  _controllerOnly(what) {
    if (this.role !== "controller") {
      throw new Error(`${what} needs the controller role; this viewer is read-only`);
    }
  }

  _clearTimers() {
    clearTimeout(this._timers.retry);
    clearInterval(this._timers.ping);
    this._timers.retry = this._timers.ping = null;
  }
}

function clamp(value, lo, hi) {
  return Math.min(hi, Math.max(lo, value));
}
