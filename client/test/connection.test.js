// The connection against a real hub on loopback (support/hub.mjs: node's
// HTTP server and the `ws` package), with the `ws` client as the WebSocket
// and node's fetch: real sockets, real handshakes, real refusals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { encode } from "@msgpack/msgpack";
import { CLIENT_NAME, Connection } from "../src/connection.js";
import { Backoff } from "../src/reconnect.js";
import { TestHub, WebSocket } from "./support/hub.mjs";

const BUILT_IN = ["glyphcast.diff.v1", "glyphcast.binary.v1", "glyphcast.json.v1"];
const hello = (extra = {}) => ({ type: "hello", protocol: 1, server: "test-hub", codec: "glyphcast.json.v1",
  width: 20, height: 5, role: "viewer", ...extra });

/** A hub and a connection to it, both stopped when the test ends. */
async function setUp(t, hubOptions = {}, options = {}) {
  const hub = await new TestHub(hubOptions).start();
  const connection = new Connection({
    url: hub.url, WebSocket, backoff: new Backoff({ initial: 20, max: 40 }), ...options,
  });
  t.after(async () => {
    connection.close();
    await hub.stop();
  });
  return { hub, connection };
}

/** Resolves with the detail of the first `type` event `predicate` accepts. */
function nextEvent(target, type, predicate = () => true) {
  return new Promise((resolve) => {
    const listener = (event) => {
      if (!predicate(event.detail)) return;
      target.removeEventListener(type, listener);
      resolve(event.detail);
    };
    target.addEventListener(type, listener);
  });
}

const state = (connection, wanted) => nextEvent(connection, "statechange", (d) => d.state === wanted);

test("offers the codecs best first then the token, says hello with its name and viewport, and is live on hello", async (t) => {
  const { hub, connection } = await setUp(t, { codecs: ["glyphcast.diff.v1"] },
    { token: "s3cret", viewport: () => ({ width: 100, height: 30 }) });
  connection.connect();
  const peer = await hub.accept();
  assert.deepEqual(peer.offered, [...BUILT_IN, "glyphcast.token.czNjcmV0"]);
  assert.equal(hub.upgrades[0].url, "/ws", "never a token in the URL");
  assert.deepEqual(await peer.next(), { type: "hello", client: CLIENT_NAME, viewport: { width: 100, height: 30 } });
  assert.equal((await peer.next()).type, "ping");
  const live = state(connection, "live");
  peer.send(encode(hello({ codec: "glyphcast.diff.v1", role: "controller", stream: "talk",
    codecs: ["glyphcast.diff.v1", "example.jsondiff.v1"] })));
  await live;
  assert.deepEqual(
    [connection.codec, connection.role, connection.stream, connection.serverCodecs],
    ["diff", "controller", "talk", ["glyphcast.diff.v1", "example.jsondiff.v1"]],
  );
  assert.deepEqual(connection.protocols, ["glyphcast.diff.v1", "example.jsondiff.v1", "glyphcast.token.czNjcmV0"],
    "a reconnect offers what the server listed");
});

test("known messages are handed on decoded, unknown types counted and dropped, pongs give the latency", async (t) => {
  const { hub, connection } = await setUp(t, { codecs: ["glyphcast.binary.v1"] });
  const handed = [];
  connection.addEventListener("message", (event) => handed.push(event.detail.type));
  connection.connect();
  const peer = await hub.accept();
  const ping = await peer.nextOf("ping");
  peer.send(encode(hello({ codec: "glyphcast.binary.v1" })));
  peer.send(encode({ type: "cursor-shape", shape: "bar" }));
  peer.send(encode({ type: "frame", seq: 1, ts: 0, width: 20, height: 5, lines: ["hi"] }));
  peer.send(encode({ type: "presence", viewers: 2, controllers: 0 }));
  peer.send(encode({ type: "pong", ts: ping.ts, server_ts: 0 }));
  await nextEvent(connection, "message", (msg) => msg.type === "pong");
  assert.deepEqual(handed, ["hello", "frame", "presence", "pong"]);
  assert.equal(connection.stats.unknown, 1);
  assert.equal(connection.stats.messages, 5);
  assert.deepEqual(connection.presence, { viewers: 2, controllers: 0 });
  assert.ok(connection.latency >= 0, String(connection.latency));
  assert.ok(connection.bytesPerSecond > 0);
});

test("producer (v1.2) says whether the producer is heard from; an unknown state is ignored, a new hello starts live", async (t) => {
  const { hub, connection } = await setUp(t);
  connection.connect();
  const first = await hub.accept();
  first.send(JSON.stringify(hello()));
  await state(connection, "live");
  assert.equal(connection.producer, "live");
  first.send(JSON.stringify({ type: "producer", state: "stalled" }));
  await nextEvent(connection, "message", (msg) => msg.type === "producer");
  assert.equal(connection.producer, "stalled");
  first.send(JSON.stringify({ type: "producer", state: "exploded" }));
  first.send(JSON.stringify({ type: "producer", state: "reconnecting" }));
  await nextEvent(connection, "message", (msg) => msg.type === "producer" && msg.state === "reconnecting");
  assert.equal(connection.producer, "reconnecting");
  assert.equal(connection.stats.protocolErrors, 0);
  // Another connection (perhaps another edge) says "producer" only if it is not live.
  const reconnected = state(connection, "live");
  first.ws.terminate();
  const second = await hub.accept();
  second.send(JSON.stringify(hello()));
  await reconnected;
  assert.equal(connection.producer, "live");
});

test("a dropped connection comes back after a backoff delay, and hello restarts the backoff", async (t) => {
  const backoff = new Backoff({ initial: 20, max: 40 });
  const { hub, connection } = await setUp(t, {}, { backoff });
  connection.connect();
  const first = await hub.accept();
  first.send(JSON.stringify(hello()));
  await state(connection, "live");
  const reconnecting = state(connection, "reconnecting");
  first.ws.terminate();
  assert.equal((await reconnecting).message, "reconnecting… (next try in 0.0 s)");
  const second = await hub.accept();
  second.send(JSON.stringify(hello()));
  await state(connection, "live");
  assert.equal(connection.stats.reconnects, 1);
  assert.equal(backoff.attempt, 0);
});

test("after end, the close does not bring it back", async (t) => {
  const { hub, connection } = await setUp(t);
  connection.connect();
  const peer = await hub.accept();
  peer.send(JSON.stringify(hello()));
  await state(connection, "live");
  const ended = state(connection, "ended");
  peer.send(JSON.stringify({ type: "end", seq: 3, reason: "program exited with status 0" }));
  assert.equal((await ended).message, "stream ended: program exited with status 0");
  peer.ws.close(1000);
  await peer.closed;
  await sleep(300); // fifteen times the backoff's first delay
  assert.equal(hub.connections, 1);
  assert.equal(connection.state, "ended");
  assert.equal(connection.ended.reason, "program exited with status 0");
});

test("a 1008 policy close stops with the server's reason and blames no token", async (t) => {
  const { hub, connection } = await setUp(t);
  connection.connect();
  const peer = await hub.accept();
  peer.send(JSON.stringify(hello()));
  await state(connection, "live");
  const rejected = state(connection, "rejected");
  peer.ws.close(1008, "client does not read its replies (256)");
  const { message, code } = await rejected;
  assert.equal(code, 1008);
  assert.equal(message, "closed by server: client does not read its replies (256) (not retrying; reload to connect again)");
  await sleep(300);
  assert.equal(hub.connections, 1);
});

test("a wrong token: the handshake is refused with 403, the connection asks why over HTTP with its token and stops", async (t) => {
  // The answer must land before the retry would (the viewer's first is 0.5 s): 200 ms here, not 20.
  const { hub, connection } = await setUp(t, {
    refuseUpgrade: 403,
    http: (request, response) => response.writeHead(403).end("wrong token: use the link glyphcast printed\n"),
  }, { token: "not-it", backoff: new Backoff({ initial: 200, max: 200 }) });
  const rejected = state(connection, "rejected");
  connection.connect();
  assert.equal((await rejected).message,
    "refused by server (403): wrong token: use the link glyphcast printed (not retrying; check the #control=/#token= link, then reload)");
  assert.deepEqual(hub.requests.map((r) => [r.url, r.headers.authorization]), [["/ws", "Bearer not-it"]]);
  await sleep(600); // three times the retry it would have made
  assert.equal(hub.connections, 1, "not retried");
  assert.equal(connection.stats.reconnects, 0);
});

test("asking why, the connection sends its page's origin as the Referer: a fetch from its own site has no Origin", async (t) => {
  const asked = [];
  const fetch = async (url, init) => {
    asked.push([url, init.referrerPolicy]);
    return new Response("origin 'https://example.org:8443' is not allowed: set public_url\n", { status: 403 });
  };
  const { connection } = await setUp(t, { refuseUpgrade: 403 }, { fetch, backoff: new Backoff({ initial: 200, max: 200 }) });
  const rejected = state(connection, "rejected");
  connection.connect();
  assert.match((await rejected).message, /^origin not allowed \(403\): origin 'https:\/\/example\.org:8443' is not allowed/);
  assert.deepEqual(asked, [[connection.url.replace("ws:", "http:"), "origin"]]);
});

test("the rate's bytes are UTF-8 bytes, and whether they were compressed on the wire is known", async (t) => {
  for (const deflate of [false, true]) {
    const { hub, connection } = await setUp(t, { deflate });
    connection.connect();
    const peer = await hub.accept();
    peer.send(JSON.stringify(hello({ server: "漢字" })));
    await state(connection, "live");
    assert.equal(connection.compressed, deflate);
    assert.equal(connection.stats.bytes, Buffer.byteLength(JSON.stringify(hello({ server: "漢字" }))));
    connection.close();
  }
});

test("a refusal HTTP does not explain keeps the backoff, and the message says the handshake may have been refused", async (t) => {
  const { hub, connection } = await setUp(t, { refuseUpgrade: 400, http: (request, response) => response.writeHead(400).end() });
  const reconnecting = state(connection, "reconnecting");
  connection.connect();
  assert.match((await reconnecting).message, /no connection: server down, or it refused the handshake \(token\?\)/);
  await nextEvent(connection, "statechange", () => hub.connections >= 2);
});

test("a codec whose first message cannot be decoded is dropped and the next one offered; none left: it says so", async (t) => {
  const { hub, connection } = await setUp(t, { codecs: BUILT_IN });
  connection.connect();
  const cbor = new Uint8Array([0xa1, 0x64, 0x74, 0x79, 0x70, 0x65, 0x65, 0x66, 0x72, 0x61, 0x6d, 0x65]);
  for (const offered of [BUILT_IN, BUILT_IN.slice(1), BUILT_IN.slice(2)]) {
    const peer = await hub.accept();
    assert.deepEqual(peer.offered, offered);
    peer.send(offered[0] === "glyphcast.json.v1" ? "{not json" : cbor);
  }
  const unsupported = await state(connection, "unsupported codec");
  assert.match(unsupported.message, /^this viewer cannot decode glyphcast\.diff\.v1, glyphcast\.binary\.v1, glyphcast\.json\.v1 \(it reads JSON text and msgpack binary maps; not a JSON text message: /);
  assert.doesNotMatch(unsupported.message, /\?codec=/, "the server never said what it offers: no codec to suggest");
  assert.equal(connection.stats.protocolErrors, 3);
});

test("a handshake refused for want of a codec: /healthz says which there are, and the next offer has them", async (t) => {
  const { hub, connection } = await setUp(t, {
    codecs: ["example.jsondiff.v1"],
    http: (request, response) => {
      if (request.url === "/healthz") return response.writeHead(200).end(JSON.stringify({ codecs: ["example.jsondiff.v1"] }));
      return response.writeHead(426).end("Upgrade Required\n");
    },
  });
  connection.connect();
  const peer = await hub.accept();
  assert.deepEqual(hub.upgrades[0].protocols, BUILT_IN, "the first offer: the built-in codecs");
  assert.deepEqual(peer.offered, ["example.jsondiff.v1"]);
  peer.send(JSON.stringify(hello({ codec: "example.jsondiff.v1" })));
  await state(connection, "live");
  assert.equal(connection.codec, "example.jsondiff.v1");
  assert.deepEqual(hub.requests.map((r) => r.url), ["/ws", "/healthz"]);
});

test("a server with only asciinema's formats: the page names what it offers and the player next to the stream, no ?codec=", async (t) => {
  const { hub, connection } = await setUp(t, {
    codecs: ["v1.alis"],
    http: (request, response) => {
      if (request.url === "/healthz") return response.writeHead(200).end(JSON.stringify({ codecs: ["v1.alis"] }));
      return response.writeHead(426).end("Upgrade Required\n");
    },
  });
  connection.connect();
  const peer = await hub.accept();
  assert.deepEqual(peer.offered, ["v1.alis"]);
  const unsupported = state(connection, "unsupported codec");
  peer.send(new Uint8Array([0x41, 0x4c, 0x69, 0x53, 0x01])); // ALiS's magic string
  const { message } = await unsupported;
  assert.match(message, /^this viewer cannot decode v1\.alis \(/);
  assert.ok(message.endsWith(` The server offers only v1.alis: watch it with a viewer made for that codec: asciinema-player, at ${
    connection.url.replace("ws:", "http:").replace(/ws$/, "player")}.`), message);
});

test("close() closes with 1000 and stays closed", async (t) => {
  const { hub, connection } = await setUp(t);
  connection.connect();
  const peer = await hub.accept();
  peer.send(JSON.stringify(hello()));
  await state(connection, "live");
  connection.close();
  assert.deepEqual(await peer.closed, { code: 1000, reason: "viewer closed" });
  assert.equal(connection.state, "closed");
  await sleep(300);
  assert.equal(hub.connections, 1);
});

test("a URL the WebSocket cannot even try is rejected at once, not retried", (t) => {
  const connection = new Connection({ url: "not a url", WebSocket });
  t.after(() => connection.close());
  connection.connect();
  assert.equal(connection.state, "rejected");
  assert.match(connection.message, /^cannot connect: /);
});

test("a forced codec that is not a subprotocol name fails when the connection is made", () => {
  assert.throws(() => new Connection({ url: "ws://127.0.0.1:1/ws", codec: "a b", WebSocket }), /"a b" is not a codec name/);
});
