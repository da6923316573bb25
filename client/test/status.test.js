import { test } from "node:test";
import assert from "node:assert/strict";
import {
  NOTICE_STATES, endedMessage, noticeText, partTitle, policyCloseMessage, producerMessage, reconnectingMessage,
  refusedMessage,
  statusParts, unsupportedCodecMessage,
} from "../src/status.js";

const live = {
  state: "live", message: "live", stream: "main", codec: "diff", role: "viewer", width: 80, height: 24,
  fps: 29.6, latency: 3.4, bytesPerSecond: 12345, presence: null, engineState: null, lastError: null,
  producer: "live",
};

const text = (parts) => Object.fromEntries(parts);

test("live: the status line shows the codec, role, size, fps, latency and rate", () => {
  assert.deepEqual(statusParts(live), [
    ["state", "● live"], ["codec", "diff"], ["role", "read-only viewer"], ["size", "80×24"],
    ["fps", "30 fps"], ["latency", "3 ms"], ["rate", "12.3 kB/s"],
  ]);
});

test("a producer that is not heard from (v1.2) is shown instead of live; the connection's own trouble comes first", () => {
  assert.equal(text(statusParts({ ...live, producer: "stalled" })).state, "● stalled");
  assert.equal(text(statusParts({ ...live, producer: "reconnecting" })).state, "● reconnecting");
  assert.equal(text(statusParts({ ...live, producer: undefined })).state, "● live"); // a server before v1.2
  const viewerDown = { ...live, state: "reconnecting", message: "reconnecting… (next try in 0.5 s)", producer: "stalled" };
  assert.equal(text(statusParts(viewerDown)).state, "reconnecting… (next try in 0.5 s)");
  assert.equal(producerMessage("stalled"), "● stalled");
  assert.equal(producerMessage("live"), "● live");
});

test("the rate says decoded when permessage-deflate was negotiated: a page never sees the wire's bytes", () => {
  assert.equal(text(statusParts({ ...live, compressed: true })).rate, "12.3 kB/s decoded");
  assert.equal(text(statusParts({ ...live, compressed: false })).rate, "12.3 kB/s");
  assert.match(partTitle("rate", { ...live, compressed: true }), /after permessage-deflate.*does not tell a page/);
  assert.match(partTitle("rate", live), /no compression/);
});

test("the viewers' tooltip says the count is this server's: behind a load balancer, one edge's", () => {
  assert.match(partTitle("viewers", live), /this server.*each edge server counts only its own/);
  assert.equal(partTitle("fps", live), null);
});

test("not live: the state's message instead of the dot, and no rates", () => {
  const parts = text(statusParts({ ...live, state: "reconnecting", message: "reconnecting… (next try in 0.5 s)" }));
  assert.equal(parts.state, "reconnecting… (next try in 0.5 s)");
  assert.deepEqual([parts.fps, parts.latency, parts.rate], ["— fps", "— ms", "— kB/s"]);
  assert.equal(text(statusParts({ ...live, state: "idle", message: "" })).state, "idle");
});

test("before hello: no codec and no role yet", () => {
  const parts = text(statusParts({ ...live, state: "connecting", codec: null, role: null }));
  assert.deepEqual([parts.codec, parts.role], ["—", "—"]);
  assert.equal(text(statusParts({ ...live, role: "controller" })).role, "controller");
});

test("a named stream is shown after the state; the main one is not", () => {
  assert.deepEqual(statusParts({ ...live, stream: "talk" })[1], ["stream", "stream talk"]);
  assert.equal(text(statusParts(live)).stream, undefined);
});

test("presence counts viewers, controllers included, and says how many control", () => {
  assert.equal(text(statusParts({ ...live, presence: { viewers: 1, controllers: 0 } })).viewers, "1 viewer");
  assert.equal(text(statusParts({ ...live, presence: { viewers: 3, controllers: 1 } })).viewers, "3 viewers (1 controlling)");
  // Without presence (a v1 server), an engine state that counts viewers is shown.
  assert.equal(text(statusParts({ ...live, engineState: { viewers: 2 } })).viewers, "2 viewers");
  assert.equal(text(statusParts(live)).viewers, undefined);
});

test("the last server error is shown while live", () => {
  const lastError = { code: "forbidden", message: "viewers are read-only" };
  assert.equal(text(statusParts({ ...live, lastError })).error, "error: viewers are read-only");
  assert.equal(text(statusParts({ ...live, state: "reconnecting", lastError })).error, undefined);
});

test("a notice over the screen only for states that stop the viewer for good", () => {
  assert.deepEqual([...NOTICE_STATES].sort(), ["ended", "rejected", "unsupported codec"]);
  assert.equal(noticeText("ended", "stream ended: bye"), "stream ended: bye");
  for (const state of ["live", "connecting", "reconnecting", "server full", "closed"]) {
    assert.equal(noticeText(state, "x"), null, state);
  }
});

test("what the viewer says about an end, a policy close, a refusal and a drop", () => {
  assert.equal(endedMessage(""), "stream ended");
  assert.equal(endedMessage("replay finished"), "stream ended: replay finished");
  assert.doesNotMatch(policyCloseMessage("client does not read its replies (256)"), /token|origin/);
  assert.match(refusedMessage(403, ""), /^refused by server \(403\): missing or wrong token/);
  assert.match(refusedMessage(421, ""), /host name is not allowed/);
  const origin = "origin 'https://example.org:8443' is not allowed: open the viewer from an address this server serves";
  assert.equal(refusedMessage(403, origin),
    `origin not allowed (403): ${origin} (not retrying; reload once the server accepts this page's origin)`);
  assert.equal(reconnectingMessage({ retryIn: 1500 }), "reconnecting… (next try in 1.5 s)");
  assert.equal(reconnectingMessage({ reason: "server going away", retryIn: 500 }),
    "reconnecting… (server going away; next try in 0.5 s)");
  assert.match(reconnectingMessage({ opened: false, retryIn: 500 }), /refused the handshake \(token\?\)/);
});

test("a codec the viewer cannot read: which, why, what the server offers, what to try", () => {
  assert.equal(
    unsupportedCodecMessage({ tried: ["example.cbor.v1"], detail: "not a msgpack binary message", serverCodecs: ["example.cbor.v1"] }),
    "this viewer cannot decode example.cbor.v1 (it reads JSON text and msgpack binary maps; not a msgpack binary message)."
      + " The server offers only example.cbor.v1: watch it with a viewer made for that codec.",
  );
  // Only codecs the server offers are suggested.
  assert.match(unsupportedCodecMessage({ tried: ["example.cbor.v1"], serverCodecs: ["example.cbor.v1", "glyphcast.binary.v1"] }),
    / The server offers example\.cbor\.v1, glyphcast\.binary\.v1\. Try \?codec=binary\.$/);
  const alis = unsupportedCodecMessage({ tried: ["v1.alis"], serverCodecs: ["v1.alis"], playerUrl: "http://127.0.0.1:8765/player" });
  assert.match(alis, / The server offers only v1\.alis: watch it with a viewer made for that codec: asciinema-player, at http:\/\/127\.0\.0\.1:8765\/player\.$/);
  assert.doesNotMatch(alis, /\?codec=/);
  assert.match(unsupportedCodecMessage({}), /^this viewer cannot decode the offered codec \(it reads JSON text and msgpack binary maps\)\. Try/);
});
