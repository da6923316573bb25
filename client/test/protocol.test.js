import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CLOSE, ProtocolError, SUBPROTOCOLS, codecName, healthUrl, httpUrl, namedStream, pageTitle,
  subprotocolsFor, tokenFromFragment, tokenSubprotocol, websocketUrl,
} from "../src/protocol.js";

test("offers diff, binary, json unless a codec is forced", () => {
  assert.deepEqual(subprotocolsFor(undefined), ["glyphcast.diff.v1", "glyphcast.binary.v1", "glyphcast.json.v1"]);
  assert.deepEqual(subprotocolsFor("json"), [SUBPROTOCOLS.json]);
  assert.deepEqual(subprotocolsFor("BINARY"), [SUBPROTOCOLS.binary]);
  assert.deepEqual(subprotocolsFor("glyphcast.diff.v1"), [SUBPROTOCOLS.diff]);
});

test("?codec= takes any subprotocol name, and refuses what cannot be one", () => {
  assert.deepEqual(subprotocolsFor("example.jsondiff.v1"), ["example.jsondiff.v1"]);
  assert.deepEqual(subprotocolsFor("cbor"), ["cbor"]);
  assert.throws(() => subprotocolsFor("a b"), /"a b" is not a codec name: use diff, binary, json or a subprotocol/);
  assert.throws(() => subprotocolsFor("x,y"), ProtocolError);
  assert.throws(() => subprotocolsFor("glyphcast.token.abc"), ProtocolError);
});

test("codecs the server lists are offered after the known ones, best known first", () => {
  const serverCodecs = ["example.jsondiff.v1", "glyphcast.json.v1", "glyphcast.diff.v1", "glyphcast.token.x", "bad name"];
  assert.deepEqual(subprotocolsFor(undefined, { serverCodecs }),
    ["glyphcast.diff.v1", "glyphcast.json.v1", "example.jsondiff.v1"]);
  assert.deepEqual(subprotocolsFor(undefined, { serverCodecs: ["example.cbor.v1"] }), ["example.cbor.v1"]);
});

test("codecs the viewer could not decode are not offered again", () => {
  assert.deepEqual(subprotocolsFor(undefined, { serverCodecs: ["example.cbor.v1", "glyphcast.json.v1"], skip: ["example.cbor.v1"] }),
    ["glyphcast.json.v1"]);
  assert.deepEqual(subprotocolsFor("example.cbor.v1", { skip: ["example.cbor.v1"] }), []);
  assert.deepEqual(subprotocolsFor(undefined, { skip: ["glyphcast.diff.v1"] }), ["glyphcast.binary.v1", "glyphcast.json.v1"]);
});

test("codec names come from subprotocols; none negotiated means json", () => {
  assert.equal(codecName("glyphcast.binary.v1"), "binary");
  assert.equal(codecName(""), "json");
  assert.equal(codecName("example.jsondiff.v1"), "example.jsondiff.v1");
});

test("the websocket URL is 'ws' next to the page: host, scheme and sub-path follow the page", () => {
  assert.equal(websocketUrl({ href: "http://127.0.0.1:8765/" }), "ws://127.0.0.1:8765/ws");
  assert.equal(websocketUrl({ href: "https://example.test/" }), "wss://example.test/ws");
  assert.equal(websocketUrl({ href: "https://example.test/x/y/" }), "wss://example.test/x/y/ws");
  assert.equal(websocketUrl({ href: "http://h:1/s/demo/index.html?codec=json#control=abc" }), "ws://h:1/s/demo/ws");
  assert.equal(websocketUrl({ href: "http://h:1/s/demo/?token=abc" }), "ws://h:1/s/demo/ws", "never a token in the URL");
});

test("the websocket URL over HTTP, to ask why a handshake was refused", () => {
  assert.equal(httpUrl("wss://h/x/ws"), "https://h/x/ws");
  assert.equal(httpUrl("ws://h:1/ws"), "http://h:1/ws");
});

test("healthz sits next to the websocket", () => {
  assert.equal(healthUrl("ws://h:1/x/y/ws"), "http://h:1/x/y/healthz");
  assert.equal(healthUrl("wss://h/ws"), "https://h/healthz");
});

test("a token is offered as glyphcast.token.<base64url, no padding>, like glyphcast.protocol.token_subprotocol", () => {
  assert.equal(tokenSubprotocol("s3cret"), "glyphcast.token.czNjcmV0");  // tests/all/test_protocol.py checks the same
  assert.equal(tokenSubprotocol("a"), "glyphcast.token.YQ");
  assert.equal(tokenSubprotocol("??>"), "glyphcast.token.Pz8-");
  const utf8 = tokenSubprotocol("ключ");
  assert.match(utf8, /^glyphcast\.token\.[A-Za-z0-9_-]+$/);
  assert.equal(Buffer.from(utf8.slice("glyphcast.token.".length), "base64url").toString("utf8"), "ключ");
});

test("tokens come from the fragment: control wins, the rest of the fragment is kept", () => {
  assert.deepEqual(tokenFromFragment("#control=abc"), { token: "abc", kind: "control", rest: "" });
  assert.deepEqual(tokenFromFragment("#token=v%20w"), { token: "v w", kind: "token", rest: "" });
  assert.deepEqual(tokenFromFragment("#token=v&control=c&x=1"), { token: "c", kind: "control", rest: "x=1" });
  assert.deepEqual(tokenFromFragment(""), { token: null, kind: null, rest: "" });
  assert.deepEqual(tokenFromFragment("#control="), { token: null, kind: null, rest: "" });
});

test("a stream is named to the user unless it is the main one (or the server did not say)", () => {
  assert.equal(namedStream("talk"), "talk");
  assert.equal(namedStream("main"), null);
  assert.equal(namedStream(undefined), null);
  assert.equal(namedStream(""), null);
  assert.equal(namedStream(7), null);
  assert.equal(pageTitle("talk"), "talk · glyphcast");
  assert.equal(pageTitle("main"), "glyphcast");
  assert.equal(pageTitle(null), "glyphcast");
});

test("close codes include 1000 stream ended and 1011 internal", () => {
  assert.equal(CLOSE.NORMAL, 1000);
  assert.equal(CLOSE.INTERNAL, 1011);
});
