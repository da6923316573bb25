import { test } from "node:test";
import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import {
  ProtocolError, SUBPROTOCOLS, codecName, decodeMessage, encodeMessage,
  subprotocolsFor, websocketUrl,
} from "../src/protocol.js";

const frame = { type: "frame", seq: 7, ts: 1700000000123.5, width: 4, height: 2, lines: ["\x1b[31mab\x1b[0m", "界"] };

test("json text frames decode to message objects", () => {
  assert.deepEqual(decodeMessage(JSON.stringify(frame)), frame);
});

test("msgpack binary frames decode to the same message objects", () => {
  const bytes = encode(frame);
  assert.deepEqual(decodeMessage(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), frame);
  assert.deepEqual(decodeMessage(bytes), frame);
});

test("msgpack delta rows decode to [index, line] pairs", () => {
  const delta = { type: "delta", seq: 8, base: 7, ts: 1, width: 4, height: 2, rows: [[1, "xy"], [0, "\x1b[38;2;1;2;3mz"]] };
  assert.deepEqual(decodeMessage(encode(delta)), delta);
});

test("rows sent as msgpack bin are read as UTF-8 text", () => {
  const bin = new TextEncoder().encode("héllo 界");
  const msg = decodeMessage(encode({ type: "frame", seq: 1, ts: 0, width: 10, height: 1, lines: [bin] }));
  assert.deepEqual(msg.lines, ["héllo 界"]);
});

test("every server message type decodes", () => {
  for (const msg of [
    { type: "hello", protocol: 1, server: "glyphcast/0.1", codec: "glyphcast.diff.v1", width: 80, height: 24, role: "viewer" },
    { type: "clear", seq: 3 },
    { type: "state", state: { scene: "demo" } },
    { type: "pong", ts: 12.5, server_ts: 1700000000000 },
    { type: "error", code: "forbidden", message: "viewers are read-only" },
  ]) {
    assert.deepEqual(decodeMessage(JSON.stringify(msg)), msg);
    assert.deepEqual(decodeMessage(encode(msg)), msg);
  }
});

test("garbage, non-maps and unknown types are protocol errors", () => {
  assert.throws(() => decodeMessage("{not json"), ProtocolError);
  assert.throws(() => decodeMessage("[1,2]"), ProtocolError);
  assert.throws(() => decodeMessage("null"), ProtocolError);
  assert.throws(() => decodeMessage(JSON.stringify({ type: "bogus" })), ProtocolError);
  assert.throws(() => decodeMessage(new Uint8Array([0xc1])), ProtocolError);
  assert.throws(() => decodeMessage(encode([1, 2])), ProtocolError);
});

test("offers diff, binary, json unless a codec is forced", () => {
  assert.deepEqual(subprotocolsFor(undefined), ["glyphcast.diff.v1", "glyphcast.binary.v1", "glyphcast.json.v1"]);
  assert.deepEqual(subprotocolsFor("json"), [SUBPROTOCOLS.json]);
  assert.deepEqual(subprotocolsFor("BINARY"), [SUBPROTOCOLS.binary]);
  assert.deepEqual(subprotocolsFor("glyphcast.diff.v1"), [SUBPROTOCOLS.diff]);
  assert.throws(() => subprotocolsFor("zip"), /unknown codec "zip": use one of diff, binary, json/);
});

test("codec names come from subprotocols; none negotiated means json", () => {
  assert.equal(codecName("glyphcast.binary.v1"), "binary");
  assert.equal(codecName(""), "json");
  assert.equal(codecName("diff"), "diff");
});

test("the websocket URL follows the page's host and scheme and carries the token", () => {
  assert.equal(websocketUrl({ protocol: "http:", host: "127.0.0.1:8765" }), "ws://127.0.0.1:8765/ws");
  assert.equal(websocketUrl({ protocol: "https:", host: "example.test" }), "wss://example.test/ws");
  assert.equal(websocketUrl({ protocol: "http:", host: "h:1" }, { token: "a b&c" }), "ws://h:1/ws?token=a%20b%26c");
});

test("client messages are JSON text", () => {
  assert.equal(encodeMessage({ type: "resync" }), '{"type":"resync"}');
});
