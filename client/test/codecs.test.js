import { test } from "node:test";
import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import { decodeMessage, encodeMessage } from "../src/codecs.js";
import { ProtocolError, isKnownServerType } from "../src/protocol.js";

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
    { type: "end", seq: 41, reason: "program exited with status 0" },
    { type: "presence", viewers: 3, controllers: 1 },
    { type: "hello", protocol: 1, server: "s", codec: "x.v1", width: 1, height: 1, role: "viewer",
      stream: "main", codecs: ["glyphcast.json.v1", "x.v1"] },
  ]) {
    assert.deepEqual(decodeMessage(JSON.stringify(msg)), msg);
    assert.deepEqual(decodeMessage(encode(msg)), msg);
  }
});

test("garbage and non-maps are protocol errors that say which decoding failed", () => {
  assert.throws(() => decodeMessage("{not json"), /not a JSON text message/);
  assert.throws(() => decodeMessage("[1,2]"), ProtocolError);
  assert.throws(() => decodeMessage("null"), ProtocolError);
  assert.throws(() => decodeMessage(JSON.stringify({ type: 5 })), /no string type/);
  assert.throws(() => decodeMessage(new Uint8Array([0xc1])), /not a msgpack binary message/);
  assert.throws(() => decodeMessage(encode([1, 2])), ProtocolError);
  // CBOR {"type": "frame"}: a binary codec the viewer cannot read fails cleanly.
  assert.throws(() => decodeMessage(new Uint8Array([0xa1, 0x64, 0x74, 0x79, 0x70, 0x65, 0x65, 0x66, 0x72, 0x61, 0x6d, 0x65])),
    ProtocolError);
});

test("a message type from a newer protocol decodes and is marked unknown, not an error", () => {
  const msg = decodeMessage(JSON.stringify({ type: "cursor-shape", shape: "bar" }));
  assert.equal(msg.type, "cursor-shape");
  assert.equal(isKnownServerType(msg.type), false);
  for (const type of ["hello", "frame", "delta", "end", "presence"]) assert.ok(isKnownServerType(type), type);
});

test("client messages are JSON text", () => {
  assert.equal(encodeMessage({ type: "resync" }), '{"type":"resync"}');
});
