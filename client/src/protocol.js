// Wire protocol v1 (see DESIGN.md, "WebSocket wire protocol v1"): names,
// subprotocols and the decoding of server messages. No DOM, no sockets.
import { decode as decodeMsgpack } from "@msgpack/msgpack";

export const PROTOCOL_VERSION = 1;

/** Codec name (as used in `?codec=` and `hello.codec`) -> WebSocket subprotocol. */
export const SUBPROTOCOLS = Object.freeze({
  diff: "glyphcast.diff.v1",
  binary: "glyphcast.binary.v1",
  json: "glyphcast.json.v1",
});

/** Preference order offered when no codec is forced: keyframes+deltas first. */
export const DEFAULT_CODECS = Object.freeze(["diff", "binary", "json"]);

/** Close codes the viewer treats specially. */
export const CLOSE = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY: 1008,
  TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
});

const SERVER_TYPES = new Set(["hello", "frame", "delta", "clear", "state", "pong", "error"]);

export class ProtocolError extends Error {}

/**
 * The subprotocol list to offer. `forced` is a codec name ("json", "binary",
 * "diff") or a full subprotocol name; anything else is an error the page shows.
 */
export function subprotocolsFor(forced) {
  if (forced == null || forced === "") return DEFAULT_CODECS.map((c) => SUBPROTOCOLS[c]);
  const name = String(forced).toLowerCase();
  if (SUBPROTOCOLS[name]) return [SUBPROTOCOLS[name]];
  if (Object.values(SUBPROTOCOLS).includes(name)) return [name];
  throw new ProtocolError(
    `unknown codec "${forced}": use one of ${DEFAULT_CODECS.join(", ")}`,
  );
}

/** "glyphcast.diff.v1" -> "diff"; unknown or empty -> the input (or "json": no subprotocol means json). */
export function codecName(subprotocol) {
  if (!subprotocol) return "json";
  for (const [name, sp] of Object.entries(SUBPROTOCOLS)) if (sp === subprotocol) return name;
  return subprotocol;
}

/**
 * The WebSocket URL for a page at `location` (anything with protocol, host):
 * same host, ws: or wss: by the page's protocol, path /ws, token passed through.
 */
export function websocketUrl(location, { path = "/ws", token } = {}) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  let url = `${scheme}//${location.host}${path}`;
  if (token) url += `?token=${encodeURIComponent(token)}`;
  return url;
}

const textDecoder = new TextDecoder();

/**
 * Decode one WebSocket message into a message object. Text frames are JSON
 * (json codec), binary frames are msgpack maps (binary and diff codecs).
 * Throws ProtocolError for anything that is not a map with a known `type`.
 */
export function decodeMessage(data) {
  let msg;
  try {
    if (typeof data === "string") {
      msg = JSON.parse(data);
    } else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      msg = decodeMsgpack(data);
    } else {
      throw new ProtocolError(`unsupported message payload ${Object.prototype.toString.call(data)}`);
    }
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(`undecodable message: ${err.message}`);
  }
  if (msg === null || typeof msg !== "object" || Array.isArray(msg) || msg instanceof Map) {
    throw new ProtocolError("message is not a map");
  }
  if (!SERVER_TYPES.has(msg.type)) {
    throw new ProtocolError(`unknown message type ${JSON.stringify(msg.type)}`);
  }
  if (msg.type === "frame" && msg.lines) msg.lines = msg.lines.map(asText);
  if (msg.type === "delta" && msg.rows) msg.rows = msg.rows.map(([i, line]) => [i, asText(line)]);
  return msg;
}

// msgpack encoders may send rows as bin instead of str; both mean UTF-8 text.
function asText(line) {
  if (typeof line === "string") return line;
  if (line instanceof Uint8Array) return textDecoder.decode(line);
  return line == null ? "" : String(line);
}

/** Client -> server messages are JSON text, which every codec accepts. */
export function encodeMessage(msg) {
  return JSON.stringify(msg);
}
