// Messages to and from the socket. Every codec glyphcast ships sends JSON in
// text frames (json) or msgpack maps in binary frames (binary, diff), so one
// decoder reads them all, and any third-party codec built the same way. What
// a diff codec's deltas mean is the screen model's business (screen.js).
// Client -> server messages are JSON text, which every codec accepts.
// No DOM, no sockets.
import { decode as decodeMsgpack } from "@msgpack/msgpack";
import { ProtocolError } from "./protocol.js";

const textDecoder = new TextDecoder();

/**
 * Decode one WebSocket message into a message object. Text frames are JSON,
 * binary frames are msgpack maps. Throws ProtocolError for anything that is
 * not a map with a string `type`. A type this viewer does not know is
 * returned as is (the caller ignores it): later protocol versions add types,
 * and v1 clients must keep working.
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
    const kind = typeof data === "string" ? "JSON text" : "msgpack binary";
    throw new ProtocolError(`not a ${kind} message: ${err.message}`);
  }
  if (msg === null || typeof msg !== "object" || Array.isArray(msg) || msg instanceof Map) {
    throw new ProtocolError("message is not a map");
  }
  if (typeof msg.type !== "string") {
    throw new ProtocolError("message has no string type");
  }
  if (msg.type === "frame" && Array.isArray(msg.lines)) msg.lines = msg.lines.map(asText);
  if (msg.type === "delta" && Array.isArray(msg.rows)) msg.rows = msg.rows.map(([i, line]) => [i, asText(line)]);
  return msg;
}

/** The text frame that carries a client message. */
export function encodeMessage(msg) {
  return JSON.stringify(msg);
}

// msgpack encoders may send rows as bin instead of str; both mean UTF-8 text.
function asText(line) {
  if (typeof line === "string") return line;
  if (line instanceof Uint8Array) return textDecoder.decode(line);
  return line == null ? "" : String(line);
}
