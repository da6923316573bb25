// GlyphcastViewer: one glyphcast stream inside an element. It wires the
// parts together and is the API a page uses:
//   connection.js  the WebSocket: codec offer, token, hello, ping, reconnects
//   screen.js      the model: which frame, its rows and cursor, deltas, resync
//   terminal.js    the model drawn on xterm.js, the font fitted to the element
//   status.js      the status line and the notice over the screen
import { websocketUrl } from "./protocol.js";
import { Connection, newStats } from "./connection.js";
import { Screen } from "./screen.js";
import { TerminalView, FONT_FAMILY } from "./terminal.js";
import { StatusView } from "./status.js";
import { RateMeter } from "./meter.js";

export { VERSION, CLIENT_NAME } from "./connection.js";

const STATUS_INTERVAL_MS = 500;

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
 * "presence" (detail: {viewers, controllers}), "producer" (detail: "live", "stalled" or
 * "reconnecting": whether the stream's producer is heard from), "end" (detail: the end message).
 */
export class GlyphcastViewer extends EventTarget {
  constructor(element, options = {}) {
    super();
    if (!element) throw new Error("GlyphcastViewer needs an element to render into");
    const { url, codec, token, autoConnect = true, statusBar = true, fontFamily = FONT_FAMILY } = options;
    this.element = element;
    this.stats = newStats();
    this.screen = new Screen();
    /** seq of the newest frame xterm has finished parsing (see `settled()`). */
    this.paintedSeq = null;
    this._fps = new RateMeter();
    this._dropNext = 0;

    this.connection = new Connection({
      url: url || websocketUrl(globalThis.location),
      codec,
      token,
      WebSocket: options.WebSocket ?? globalThis.WebSocket,
      fetch: options.fetch ?? globalThis.fetch?.bind(globalThis),
      stats: this.stats,
      viewport: () => this._terminalView.viewport(),
    });
    this.connection.addEventListener("attempt", () => this.screen.expectKeyframe());
    this.connection.addEventListener("statechange", (event) => this._onStateChange(event.detail));
    this.connection.addEventListener("message", (event) => this._onMessage(event.detail));

    element.classList.add("glyphcast");
    const stage = element.ownerDocument.createElement("div");
    stage.className = "gc-stage";
    element.append(stage);
    this._statusView = new StatusView(element, { statusBar });
    this._terminalView = new TerminalView({ width: this.screen.width, height: this.screen.height, fontFamily, stage });
    /** The xterm.js Terminal. */
    this.terminal = this._terminalView.terminal;
    // Keystrokes reach the engine only from a controller; xterm stays
    // read-only for viewers, so this fires only for controllers.
    this._terminalView.onInput((data) => {
      if (this.role === "controller") this.send({ type: "input", data });
    });
    this._statusTimer = setInterval(() => this._renderStatus(), STATUS_INTERVAL_MS);
    this._renderStatus();
    if (autoConnect) this.connect();
  }

  // --- what the connection knows ---------------------------------------------

  /** connecting, live, reconnecting, server full, rejected, ended, unsupported codec, closed ("idle" before connect()). */
  get state() { return this.connection.state; }
  get message() { return this.connection.message; }
  /** "viewer" (read-only) or "controller"; null before hello. */
  get role() { return this.connection.role; }
  /** Negotiated codec name ("diff", "binary", "json"); null before connecting. */
  get codec() { return this.connection.codec; }
  get server() { return this.connection.server; }
  /** The stream's name from hello (v1.1: "main" for the one at `/`); null before hello or from a v1 server. */
  get stream() { return this.connection.stream; }
  /** The last `state` message's payload (the engine's state snapshot). */
  get engineState() { return this.connection.engineState; }
  get lastError() { return this.connection.lastError; }
  /** Round-trip time of the last ping, ms. */
  get latency() { return this.connection.latency; }
  /** The last `presence` (v1.1): {viewers, controllers}; null until the server sends one. */
  get presence() { return this.connection.presence; }
  /** The `end` message once the stream ended (v1.1); the viewer does not reconnect after it. */
  get ended() { return this.connection.ended; }
  /** Whether the stream's producer is heard from (v1.2): "live", "stalled" or "reconnecting". */
  get producer() { return this.connection.producer; }
  /** Codecs the server said it offers (hello's `codecs` or /healthz); null: not told yet. */
  get serverCodecs() { return this.connection.serverCodecs; }
  /** Codecs whose messages this viewer could not decode; never offered again. */
  get undecodable() { return this.connection.undecodable; }
  get url() { return this.connection.url; }
  /** The Sec-WebSocket-Protocol list of the next connection: codecs, best first, then the token entry. */
  get protocols() { return this.connection.protocols; }
  /** The current WebSocket (the browser tests read its `extensions`). */
  get _ws() { return this.connection.socket; }

  // --- what the screen shows -------------------------------------------------

  /** seq of the frame the viewer's model is at (null: waiting for a keyframe). */
  get seq() { return this.screen.seq; }
  get width() { return this.screen.width; }
  get height() { return this.screen.height; }
  /** The program's cursor as drawn, [col, row] (0-based), or null when none is drawn. */
  get cursor() { return this.screen.cursor; }

  /** The terminal's rows as plain text (what a user would copy), right-trimmed. */
  rows() {
    return this._terminalView.rows();
  }

  /** Resolves once xterm has parsed everything written so far. */
  settled() {
    return this._terminalView.settled();
  }

  /** Test hook: drop the next `n` frame/delta/clear messages, as a lossy link would. */
  dropNext(n = 1) {
    this._dropNext += n;
  }

  // --- actions -------------------------------------------------------------------

  /** Open the connection (again). Called by the constructor unless autoConnect is false. */
  connect() {
    this.connection.connect();
  }

  /** Close for good: no reconnect. */
  close() {
    this.connection.close();
  }

  dispose() {
    this.close();
    clearInterval(this._statusTimer);
    this._terminalView.dispose();
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
    this.connection.send(msg);
  }

  // --- events from the connection ----------------------------------------------

  _onStateChange(detail) {
    this._statusView.setState(detail.state, detail.message);
    this._renderStatus();
    this.dispatchEvent(new CustomEvent("statechange", { detail }));
  }

  _onMessage(msg) {
    switch (msg.type) {
      case "hello":
        this._terminalView.readOnly = this.role !== "controller";
        if (msg.width && msg.height) {
          const paint = this.screen.resize(msg.width, msg.height);
          if (paint.resized) this._paint(paint);
        }
        this._renderStatus();
        this.dispatchEvent(new CustomEvent("hello", { detail: msg }));
        return;
      case "frame":
      case "delta":
      case "clear":
        this._onScreenMessage(msg);
        return;
      case "error":
        this._renderStatus();
        return;
      case "presence":
        this._renderStatus();
        this.dispatchEvent(new CustomEvent("presence", { detail: this.presence }));
        return;
      case "producer":
        this._renderStatus();
        this.dispatchEvent(new CustomEvent("producer", { detail: this.producer }));
        return;
      case "end":
        this.dispatchEvent(new CustomEvent("end", { detail: msg }));
        return;
    }
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

  _paint(paint) {
    const seq = this.screen.seq;
    this._terminalView.paint(paint, this.screen, () => {
      this.paintedSeq = seq;
      this.dispatchEvent(new CustomEvent("paint", { detail: { seq } }));
    });
  }

  _renderStatus() {
    const { connection } = this;
    this._statusView.render({
      state: connection.state,
      message: connection.message,
      stream: connection.stream,
      codec: connection.codec,
      role: connection.role,
      width: this.screen.width,
      height: this.screen.height,
      fps: this._fps.rate(),
      latency: connection.latency,
      bytesPerSecond: connection.bytesPerSecond,
      compressed: connection.compressed,
      presence: connection.presence,
      producer: connection.producer,
      engineState: connection.engineState,
      lastError: connection.lastError,
    });
  }

  _controllerOnly(what) {
    if (this.role !== "controller") {
      throw new Error(`${what} needs the controller role; this viewer is read-only`);
    }
  }
}
